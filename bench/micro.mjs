// `npm run bench:micro`: single costs of a few hundred nanoseconds, measured in isolation. On a
// shared host, whole-run A/Bs of the server cannot resolve them (two runs of one build differ by
// more), so bench/FINDINGS.md quotes these for the changes they justify. See bench/README.md.

import { randomUUID } from 'node:crypto';
import { closeSync, ftruncateSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import pino from 'pino';
import { FlatUuids } from '../packages/server/dist/http/flat-uuids.js';
import { openStore } from '../packages/server/dist/index.js';
import { ACCESS_LINE_MESSAGE } from '../packages/server/dist/logging/access-lines.js';
import { LazyChildLogger } from '../packages/server/dist/logging/lazy-child-logger.js';
import { createLogging } from '../packages/server/dist/logging/logger.js';
import { AccessTokenVerifier, issueAccessToken } from '../packages/server/dist/oauth/access-tokens.js';
import { loadSigningKeys } from '../packages/server/dist/oauth/signing-keys.js';
import { findSite } from '../packages/server/dist/store/repositories/sites.js';
import { median } from './report.mjs';
import { seed } from './seed.mjs';
import { dealerOf } from './workload.mjs';

const REPETITIONS = 5;
/** Written by every measured call, so that no call can be optimized away. */
let sink = 0;
let lastLogger;

/** Runs `once(i)` `count` times after a warm-up; the median over the repetitions, in ns per call. */
function nanosPerCall(once, count) {
  for (let i = 0; i < count / 10; i += 1) once(i);
  const samples = [];
  for (let repetition = 0; repetition < REPETITIONS; repetition += 1) {
    const startedAt = process.hrtime.bigint();
    for (let i = 0; i < count; i += 1) once(i);
    samples.push(Number(process.hrtime.bigint() - startedAt) / count);
  }
  return median(samples);
}

/** Fastify's per-request logger: pino's child (its default) against LazyChildLogger. */
function requestLogger() {
  const logger = pino({ level: 'info' }, { write() {} });
  const traceIds = Array.from({ length: 1024 }, () => randomUUID());
  const pinoChild = nanosPerCall((i) => {
    lastLogger = logger.child({ trace_id: traceIds[i & 1023] }, {});
  }, 1_000_000);
  const lazy = nanosPerCall((i) => {
    lastLogger = new LazyChildLogger(logger, { trace_id: traceIds[i & 1023] }, {});
  }, 1_000_000);
  sink += lastLogger.level.length;
  report('request logger: pino child per request', pinoChild, 'ns');
  report('request logger: LazyChildLogger (child built on first use)', lazy, 'ns');
}

/**
 * One access line as the server writes it (its logging, chunks of 16 KiB included, to an output
 * that only counts them): through pino (a child with the trace id, then info) against
 * AccessLines, which writes the same bytes.
 */
function accessLine() {
  const out = {
    write(chunk) {
      sink += chunk.length;
    },
    destroy() {},
  };
  const { logger, accessLines } = createLogging('info', out);
  const lines = Array.from({ length: 1024 }, (_, i) => ({
    trace_id: randomUUID(),
    method: 'GET',
    path: `/partner/v1/dealers/${1 + (i % 100)}/sites/${1 + i * 7}/arming-settings`,
    status: 200,
    latency_ms: (i & 255) / 100,
    client_id: 'bench-client-0001',
    dealer_id: 1 + (i % 100),
    site_id: 1 + i * 7,
  }));
  const byPino = nanosPerCall((i) => {
    const { trace_id, ...fields } = lines[i & 1023];
    logger.child({ trace_id }).info(fields, ACCESS_LINE_MESSAGE);
  }, 300_000);
  const byAccessLines = nanosPerCall((i) => {
    accessLines.write(lines[i & 1023]);
  }, 300_000);
  report('access line: pino child, then info', byPino, 'ns per line');
  report('access line: AccessLines.write', byAccessLines, 'ns per line');
}

/**
 * A fresh trace id, then the check Node's HTTP layer makes of every header value it sends (a
 * regular expression, which needs the string flat): crypto.randomUUID against FlatUuids.
 */
function traceId() {
  const headerCheck = /[^\t\x20-\x7e\x80-\xff]/;
  const uuids = new FlatUuids();
  const byRandomUUID = nanosPerCall(() => {
    sink += headerCheck.test(randomUUID()) ? 0 : 1;
  }, 1_000_000);
  const byFlatUuids = nanosPerCall(() => {
    sink += headerCheck.test(uuids.take()) ? 0 : 1;
  }, 1_000_000);
  report('trace id: crypto.randomUUID, then the header check', byRandomUUID, 'ns');
  report('trace id: FlatUuids.take, then the header check', byFlatUuids, 'ns');
}

/**
 * A verified token recalled from the verifier's cache, as on every authenticated request: each
 * request brings its Authorization header as a new string, so nothing hashed is reused.
 */
async function tokenRecall() {
  const dir = mkdtempSync(join(tmpdir(), 'chekt-micro-'));
  const store = await openStore(`sqlite:${join(dir, 'keys.db')}`);
  try {
    const keys = await loadSigningKeys(store.db);
    const settings = {
      issuer: 'http://127.0.0.1:8080',
      audience: 'http://127.0.0.1:8080/partner/v1',
      ttlSeconds: 3600,
    };
    const verifier = new AccessTokenVerifier(keys, settings);
    const token = issueAccessToken(keys, settings, 'bench-client-0001', ['arming_settings:read']);
    await verifier.verify(token);
    const headers = Array.from({ length: 1024 }, () => Buffer.from(`Bearer ${token}`).toString('latin1'));
    const recall = nanosPerCall((i) => {
      sink += verifier.recall(headers[i & 1023].slice('Bearer '.length)).exp;
    }, 1_000_000);
    report('token recall: a verified token, from a new header string', recall, 'ns');
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The write(2) of access lines to a file, per line, by the size of the chunks they go out in. */
function logChunks() {
  const line =
    '{"level":30,"time":"2026-11-26T11:00:00.000Z","service":"chekt-partner",' +
    '"trace_id":"5c2d0f0e-3b1a-4c55-9d6e-0a1b2c3d4e5f","method":"GET",' +
    '"path":"/partner/v1/dealers/12/sites/1234/arming-settings","status":200,"latency_ms":1.23,' +
    '"client_id":"bench-client-0001","dealer_id":12,"site_id":1234,"msg":"request completed"}\n';
  const dir = mkdtempSync(join(tmpdir(), 'chekt-micro-'));
  const fd = openSync(join(dir, 'access.log'), 'a');
  try {
    for (const kib of [4, 16, 64]) {
      const linesPerChunk = Math.ceil((kib * 1024) / line.length);
      const chunk = line.repeat(linesPerChunk);
      const perChunk = nanosPerCall((i) => {
        // Keep the file small, so the page cache never has to find room for it.
        if (i % 1000 === 0) ftruncateSync(fd, 0);
        sink += writeSync(fd, chunk);
      }, 10_000);
      report(`access lines written in ${kib} KiB chunks`, perChunk / linesPerChunk, 'ns per line');
    }
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The server's site lookup on 10,000 sites: everything in SQLite's page cache. */
async function siteLookup() {
  const { wall } = await measureSiteLookups(10_000);
  report('10,000-site lookup', wall, 'ns per site');
}

/**
 * The same on 1,000,000 sites, with databases created at each SQLite page size: most lookups then
 * read a leaf page that is not in the cache.
 */
async function lookupPageSize() {
  for (const pageSize of [4096, 2048, 1024]) {
    const { wall, system } = await measureSiteLookups(1_000_000, pageSize);
    report(
      `1,000,000-site lookup, ${pageSize / 1024} KiB pages`,
      wall,
      `ns per site (system ${Math.round(system)})`,
    );
  }
}

/**
 * findSite, 20 concurrent lookups of random sites at a time (one batched query, as in the server
 * under load), on a fresh database with the server's settings (2 MB page cache). Wall and system
 * time per site, the median of the repetitions.
 */
async function measureSiteLookups(siteCount, pageSize) {
  const batch = 20;
  const dir = mkdtempSync(join(tmpdir(), 'chekt-micro-'));
  const file = join(dir, 'sites.db');
  try {
    if (pageSize) createWithPageSize(file, pageSize);
    await seed(`sqlite:${file}`, siteCount);
    const store = await openStore(`sqlite:${file}`);
    try {
      const lookups = async () => {
        const ids = Array.from({ length: batch }, () => 1 + Math.floor(Math.random() * siteCount));
        const sites = await Promise.all(ids.map((id) => findSite(store, dealerOf(id), id)));
        if (sites.some((site) => !site)) throw new Error('a seeded site was not found');
        sink += sites.length;
      };
      for (let i = 0; i < 2000; i += 1) await lookups();
      const samples = [];
      for (let repetition = 0; repetition < REPETITIONS; repetition += 1) {
        const rounds = 10_000;
        const startedAt = process.hrtime.bigint();
        const cpuBefore = process.cpuUsage();
        for (let i = 0; i < rounds; i += 1) await lookups();
        const cpu = process.cpuUsage(cpuBefore);
        const wallNs = Number(process.hrtime.bigint() - startedAt);
        samples.push({ wall: wallNs / rounds / batch, system: (cpu.system * 1000) / rounds / batch });
      }
      return {
        wall: median(samples.map((sample) => sample.wall)),
        system: median(samples.map((sample) => sample.system)),
      };
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A database file whose page size is fixed before the server's migrations create its tables. */
function createWithPageSize(file, pageSize) {
  const connection = new SqliteDatabase(file);
  connection.pragma(`page_size = ${pageSize}`);
  // Switching to WAL writes the file's header, and with it the page size.
  connection.pragma('journal_mode = WAL');
  connection.close();
}

function report(name, value, unit) {
  process.stdout.write(`${name.padEnd(62)} ${Math.round(value).toString().padStart(6)} ${unit}\n`);
}

const benchmarks = {
  'request-logger': requestLogger,
  'access-line': accessLine,
  'trace-id': traceId,
  'token-recall': tokenRecall,
  'log-chunks': logChunks,
  'site-lookup': siteLookup,
  'lookup-page-size': lookupPageSize,
};
const only = process.argv.slice(2);
const unknown = only.filter((name) => !(name in benchmarks));
if (unknown.length > 0) {
  throw new Error(`unknown benchmark(s) ${unknown.join(', ')}; known: ${Object.keys(benchmarks).join(', ')}`);
}
for (const [name, run] of Object.entries(benchmarks)) {
  if (only.length > 0 && !only.includes(name)) continue;
  await run();
}
if (sink === 0) throw new Error('nothing was measured');
