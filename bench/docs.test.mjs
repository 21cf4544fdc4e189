// The Markdown a newcomer reads (the READMEs, the bench's records): every relative link reaches a
// file and, with a #fragment, a heading of it; every section named in quotes ("see "Memory"") is
// a heading of the same file, since a quoted name has no link to follow when it moves.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const documents = [
  'README.md',
  ...readdirSync(join(root, 'bench'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `bench/${name}`),
  ...readdirSync(join(root, 'packages'))
    .map((name) => `packages/${name}/README.md`)
    .filter((path) => existsSync(join(root, path))),
];

/** The prose of a Markdown file, one entry a line, without its fenced code blocks. */
function proseLines(path) {
  let fenced = false;
  return readFileSync(join(root, path), 'utf8')
    .split('\n')
    .map((line) => {
      if (line.startsWith('```')) fenced = !fenced;
      return fenced || line.startsWith('```') ? '' : line;
    });
}

function headings(path) {
  return proseLines(path).flatMap((line) => /^#{1,6} +(.*?) *$/.exec(line)?.[1] ?? []);
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
function anchors(path) {
  const seen = new Map();
  return new Set(
    headings(path).map((heading) => {
      const slug = heading
        .toLowerCase()
        .replace(/[^\p{L}\p{N} _-]/gu, '')
        .replace(/ /g, '-');
      const count = seen.get(slug) ?? 0;
      seen.set(slug, count + 1);
      return count === 0 ? slug : `${slug}-${count}`;
    }),
  );
}

describe.each(documents)('%s', (path) => {
  it('links only to files and headings that exist', () => {
    const broken = proseLines(path).flatMap((line, index) =>
      [...line.matchAll(/\]\(([^)\s]+)\)/g)].flatMap(([, target]) => {
        if (/^[a-z]+:/.test(target)) return [];
        const [file, fragment] = target.split('#');
        const linked = file ? relative(root, resolve(root, dirname(path), file)) : path;
        const found =
          existsSync(join(root, linked)) && (fragment === undefined || anchors(linked).has(fragment));
        return found ? [] : [`line ${index + 1}: ${target}`];
      }),
    );
    expect(broken).toEqual([]);
  });

  it('names in quotes only sections of its own', () => {
    const own = headings(path);
    const broken = proseLines(path).flatMap((line, index) =>
      [...line.matchAll(/\b(?:see|under) "([^"]+)"/g)].flatMap(([, name]) =>
        own.some((heading) => heading === name || heading.startsWith(`${name}:`))
          ? []
          : [`line ${index + 1}: "${name}"`],
      ),
    );
    expect(broken).toEqual([]);
  });
});
