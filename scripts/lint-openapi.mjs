#!/usr/bin/env node
// Lints the OpenAPI document the server serves: writes it, from the built contract, to a temp file,
// then runs a structural validator (the OpenAPI 3.1 JSON Schema plus $ref resolution) and Spectral's
// `spectral:oas` ruleset (.spectral.yaml). Any Spectral warning fails too: each is fixed, or
// switched off in .spectral.yaml with the reason. Run after `npm run build`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildOpenApiDocument } from '@chekt-partner/contract';
import { validate } from '@readme/openapi-parser';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = mkdtempSync(join(tmpdir(), 'chekt-partner-openapi-'));
const file = join(dir, 'openapi.json');

try {
  // The server fills in its own base URL; any absolute URL gives the same document otherwise.
  const document = buildOpenApiDocument({ serverUrl: 'https://api.example.com' });
  writeFileSync(file, `${JSON.stringify(document, null, 2)}\n`);

  const result = await validate(file);
  if (!result.valid) {
    console.error('OpenAPI structural validation failed:');
    for (const error of result.errors) console.error(`  ${error.message}`);
    process.exitCode = 1;
  } else {
    console.log(`OpenAPI structural validation: valid (OpenAPI ${document.openapi}, every $ref resolved)`);
  }

  const spectral = spawnSync(
    join(root, 'node_modules', '.bin', 'spectral'),
    [
      'lint',
      file,
      '--ruleset',
      join(root, '.spectral.yaml'),
      '--fail-severity',
      'warn',
      '--format',
      'stylish',
    ],
    { stdio: 'inherit' },
  );
  if (spectral.status !== 0) process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
