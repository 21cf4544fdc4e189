import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import { openStore } from '../packages/server/dist/index.js';
import { Provisioning } from '../packages/server/dist/provisioning/provisioning.js';
import { DEALERS, dealerOf } from './workload.mjs';

/**
 * A fresh, empty database for one run. SQLite: a new file in a temp folder. PostgreSQL: a new
 * database created beside the one the URL names (which is never written to), dropped afterwards.
 */
export async function freshDatabase(db, label) {
  if (db === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'chekt-bench-'));
    return {
      url: `sqlite:${join(dir, 'bench.db')}`,
      dir,
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const name = `chekt_bench_${process.pid}_${label}`;
  await adminQuery(db, `create database ${name}`);
  const url = new URL(db);
  url.pathname = `/${name}`;
  const dir = mkdtempSync(join(tmpdir(), 'chekt-bench-'));
  return {
    url: url.toString(),
    dir,
    drop: async () => {
      rmSync(dir, { recursive: true, force: true });
      await adminQuery(db, `drop database if exists ${name} with (force)`);
    },
  };
}

async function adminQuery(url, text) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/**
 * Schema through the server's own migrations, dealers and the client through its provisioning
 * code; then the sites in bulk, directly: seeding a million rows is the bench's job, and one
 * prepared statement in one transaction does it in seconds where the API would take minutes.
 */
export async function seed(url, siteCount) {
  const store = await openStore(url);
  let client;
  try {
    const provisioning = new Provisioning(store.db);
    for (let dealerId = 1; dealerId <= DEALERS; dealerId += 1) {
      await provisioning.addDealer(dealerId, `Dealer ${dealerId}`);
    }
    client = await provisioning.addClient('bench', 'all');
  } finally {
    await store.close();
  }
  const startedAt = performance.now();
  if (url.startsWith('sqlite:')) insertSitesSqlite(url.slice('sqlite:'.length), siteCount);
  else await insertSitesPostgres(url, siteCount);
  return {
    clientId: client.clientId,
    clientSecret: client.clientSecret,
    seedMs: performance.now() - startedAt,
  };
}

function insertSitesSqlite(file, siteCount) {
  const connection = new SqliteDatabase(file);
  try {
    connection.pragma('journal_mode = WAL');
    const insert = connection.prepare(
      'insert into sites (id, dealer_id, external_site_id, name, security_type, created_at, updated_at) ' +
        'values (?, ?, ?, ?, ?, ?, ?)',
    );
    const now = new Date().toISOString();
    connection.transaction(() => {
      for (let id = 1; id <= siteCount; id += 1) {
        insert.run(id, dealerOf(id), String(1000000000 + id), `Site ${id}`, 1 + (id % 4), now, now);
      }
    })();
    // Leave the file as a server would find it after a checkpoint: no multi-megabyte WAL to replay.
    connection.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    connection.close();
  }
}

async function insertSitesPostgres(url, siteCount) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(
      `insert into sites (id, dealer_id, external_site_id, name, security_type, created_at, updated_at)
       select id, 1 + ((id - 1) % ${DEALERS}), (1000000000 + id)::text, 'Site ' || id, 1 + (id % 4),
              now()::text, now()::text
       from generate_series(1, $1::int) as id`,
      [siteCount],
    );
    await client.query('analyze');
  } finally {
    await client.end();
  }
}
