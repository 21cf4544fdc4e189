import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The SDK promises to run on nothing but the platform (fetch, AbortSignal, crypto.randomUUID), so
 * in Deno, Bun and browser workers too. These tests read the built package as a user gets it.
 */
const sdkRoot = fileURLToPath(new URL('..', import.meta.url));
const contractRoot = join(sdkRoot, '..', 'contract');
const sdkManifest = JSON.parse(readFileSync(join(sdkRoot, 'package.json'), 'utf8'));
const contractManifest = JSON.parse(readFileSync(join(contractRoot, 'package.json'), 'utf8'));

const STATIC_IMPORT = /^\s*(?:import|export)\s[^;]*?\sfrom\s+'([^']+)';?$|^\s*import\s+'([^']+)';?$/gm;

/** Every module the entry point loads, following static imports through the SDK and the contract. */
function moduleGraph(entry: string): { files: string[]; external: string[] } {
  const files: string[] = [];
  const external = new Set<string>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop() as string;
    if (files.includes(file)) continue;
    files.push(file);
    for (const match of readFileSync(file, 'utf8').matchAll(STATIC_IMPORT)) {
      const specifier = (match[1] ?? match[2]) as string;
      if (specifier.startsWith('.')) pending.push(resolve(dirname(file), specifier));
      else if (specifier.startsWith('@chekt-partner/contract')) pending.push(resolveContract(specifier));
      else external.add(specifier);
    }
  }
  return { files, external: [...external] };
}

function resolveContract(specifier: string): string {
  const subpath = `.${specifier.slice('@chekt-partner/contract'.length)}`;
  const target = contractManifest.exports[subpath]?.default;
  if (!target) throw new Error(`${specifier} is not exported by the contract`);
  return join(contractRoot, target);
}

describe('the built package', () => {
  it('exports an ESM entry point with type declarations, and files that exist', () => {
    expect(sdkManifest.type).toBe('module');
    const entry = sdkManifest.exports['.'];
    expect(existsSync(join(sdkRoot, entry.types))).toBe(true);
    expect(existsSync(join(sdkRoot, entry.default))).toBe(true);
  });

  it('has no runtime dependency but the contract', () => {
    expect(Object.keys(sdkManifest.dependencies ?? {})).toEqual(['@chekt-partner/contract']);
  });

  it('loads nothing outside the SDK and the contract: no node: built-ins, no TypeBox', () => {
    const graph = moduleGraph(join(sdkRoot, sdkManifest.exports['.'].default));
    expect(graph.files.length).toBeGreaterThan(5);
    expect(graph.external).toEqual([]);
    expect(graph.files.filter((file) => file.includes('/cli/'))).toEqual([]);
  });

  it('gives the security types their numbers, names and descriptions from the contract', async () => {
    const sdk = await import(join(sdkRoot, sdkManifest.exports['.'].default));
    const contract = await import(join(contractRoot, contractManifest.exports['.'].default));
    expect(sdk.SECURITY_TYPES).toBe(contract.SECURITY_TYPES);
    expect(sdk.SECURITY_TYPES[3]).toEqual({
      slug: 'video',
      name: 'CHeKT Video Security System',
      description: 'Native CHeKT video-based security',
    });
    expect(sdk.parseSecurityType('alarm-com')).toBe(4);
  });

  it('ships the chekt command as an executable script', () => {
    const bin = join(sdkRoot, sdkManifest.bin.chekt);
    expect(readFileSync(bin, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });
});

/**
 * Neither package is in a registry: an integrator installs the SDK from tarballs packed in a
 * checkout, and npm looks up any dependency it was not handed, so the README's commands must pack
 * and install the contract beside the SDK, at the versions they have.
 */
describe("the README's installation outside this repository", () => {
  const readme = readFileSync(join(sdkRoot, 'README.md'), 'utf8');
  const repoRoot = join(sdkRoot, '..', '..');

  /** The package names the README's `npm pack -w ...` packs. */
  function packedNames(): string[] {
    const pack = readme.split('\n').find((line) => line.startsWith('npm pack '));
    if (!pack) return [];
    const workspaces = [...pack.matchAll(/-w\s+(\S+)/g)].map((match) => match[1] as string);
    return workspaces.map(
      (workspace) => JSON.parse(readFileSync(join(repoRoot, workspace, 'package.json'), 'utf8')).name,
    );
  }

  /** The tarball name `npm pack` gives a scoped package. */
  const tarball = (manifest: { name: string; version: string }) =>
    `${manifest.name.replace(/^@/, '').replace('/', '-')}-${manifest.version}.tgz`;

  it('packs the SDK together with every package it depends on', () => {
    expect(packedNames().sort()).toEqual([sdkManifest.name, ...Object.keys(sdkManifest.dependencies)].sort());
  });

  it('installs the tarballs that packing gives, the contract at the version the SDK asks for', () => {
    expect(sdkManifest.dependencies['@chekt-partner/contract']).toBe(contractManifest.version);
    const install = readme.split('\n').find((line) => line.startsWith('npm install /tmp/')) ?? '';
    expect(install).toContain(tarball(contractManifest));
    expect(install).toContain(tarball(sdkManifest));
  });
});
