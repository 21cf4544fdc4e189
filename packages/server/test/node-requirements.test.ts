import { readFileSync } from 'node:fs';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

/**
 * package.json's `engines` is what `npm ci` checks a newcomer's Node.js against. The server runs
 * on less, but the tests and linters run on tools (Vite under Vitest, Spectral, native addons)
 * that each ask for their own Node.js: every version `engines` admits must be one all of them take,
 * or `npm test` is the first command to fail on a Node.js the project called enough.
 */
const root = (path: string) => JSON.parse(readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8'));

describe("package.json's Node.js requirement", () => {
  it('admits only Node.js versions that every installed package takes', () => {
    const ours: string = root('package.json').engines.node;
    const lock = root('package-lock.json') as { packages: Record<string, { engines?: { node?: string } }> };
    const refusing = Object.entries(lock.packages)
      .filter(([name, entry]) => name !== '' && entry.engines?.node !== undefined)
      .filter(([, entry]) => !semver.subset(ours, entry.engines?.node as string))
      .map(([name, entry]) => `${name} (${entry.engines?.node})`);
    expect(refusing).toEqual([]);
  });
});
