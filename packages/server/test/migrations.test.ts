import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import type { SecurityType } from '@chekt-partner/contract';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InCodeMigrations } from '../src/store/migrations.js';
import { listArmingHistory } from '../src/store/repositories/arming-history.js';
import { securityTypeChangesFor } from '../src/store/repositories/security-type-changes.js';
import type { Database } from '../src/store/schema.js';
import { openStore } from '../src/store/store.js';
import { createTestDatabase, type TestDatabase, testBackend } from './support/database.js';
import { failEvery, stopFailing } from './support/injected-failure.js';

const require = createRequire(import.meta.url);

// Runs on both backends (the Vitest project sets which). A database written by an older version
// must come up on the newest with nothing lost.
describe('migrations: a database from 0001 upgraded to the latest', () => {
  let database: TestDatabase;
  let db: Kysely<Database>;

  beforeEach(async () => {
    database = await createTestDatabase();
    db = rawConnection(database);
    const migrator = new Migrator({ db, provider: new InCodeMigrations(database.backend) });
    const { error } = await migrator.migrateTo('0001_initial');
    if (error) throw error;
  });

  afterEach(async () => {
    await db.destroy();
    await database.drop();
  });

  it('0002 links the history written before it into each site chain, and writes continue the chain', async () => {
    await seedVersion1History(db);
    await db.destroy();

    const store = await openStore(database.url);
    try {
      const site10 = await listArmingHistory(store.db, 10);
      expect(site10.map((row) => [row.from_type, row.to_type])).toEqual([
        [1, 2],
        [2, 3],
        [3, 4],
      ]);
      expect(site10.map((row) => row.previous_id)).toEqual([null, site10[0]?.id, site10[1]?.id]);
      expect((await listArmingHistory(store.db, 11)).map((row) => row.to_type)).toEqual([3, 1]);
      expect(await listArmingHistory(store.db, 12)).toEqual([]);

      const changes = securityTypeChangesFor(store);
      const change = {
        dealerId: 1,
        clientId: 'client',
        traceId: 'trace',
        changedAt: '2026-02-01T00:00:00.000Z',
      };
      await changes.apply({ ...change, siteId: 10, securityType: 1 });
      await changes.apply({ ...change, siteId: 12, securityType: 2 });
      const continued = await listArmingHistory(store.db, 10);
      expect(continued.map((row) => [row.from_type, row.to_type])).toEqual([
        [1, 2],
        [2, 3],
        [3, 4],
        [4, 1],
      ]);
      const first = await listArmingHistory(store.db, 12);
      expect(first.map((row) => [row.from_type, row.to_type, row.previous_id])).toEqual([[1, 2, null]]);
    } finally {
      await store.close();
    }
  });

  // SQLite has no statement timeout.
  it.runIf(testBackend() === 'postgres')(
    'an upgrade that runs longer than PG_STATEMENT_TIMEOUT_MS still completes',
    async () => {
      await seedLargeVersion1History(db, 200_000);
      await db.destroy();

      // 0002 links every history row to the one before it: far longer than 50 ms for 200,000 rows.
      const store = await openStore(database.url, { pgStatementTimeoutMs: 50 });
      try {
        const head = await store.db
          .selectFrom('sites')
          .select('last_history_id')
          .where('id', '=', 1)
          .executeTakeFirstOrThrow();
        expect(head.last_history_id).not.toBeNull();
      } finally {
        await store.close();
      }
    },
  );

  // An operator's own limit, set for the database or role (ALTER DATABASE ... SET statement_timeout),
  // applies to every session that does not set its own: the migrations' connection sets none.
  it.runIf(testBackend() === 'postgres')(
    "an upgrade that runs longer than the database's own statement_timeout still completes",
    async () => {
      await seedLargeVersion1History(db, 50_000);
      const name = new URL(database.url).pathname.slice(1);
      await sql`alter database ${sql.id(name)} set statement_timeout = 20`.execute(db);
      await db.destroy();

      const store = await openStore(database.url);
      try {
        const head = await store.db
          .selectFrom('sites')
          .select('last_history_id')
          .where('id', '=', 1)
          .executeTakeFirstOrThrow();
        expect(head.last_history_id).not.toBeNull();
      } finally {
        await store.close();
      }
    },
  );

  // PostgreSQL's advisory lock has no timeout; SQLite's write lock is waited for by busy_timeout.
  it.runIf(testBackend() === 'sqlite')(
    "waits for another process's migrations that hold the write lock longer than the busy timeout",
    async () => {
      await seedVersion1History(db);
      await db.destroy();
      // Another process in the middle of its migrations: the write lock held for 6.5 s (busy_timeout: 5 s).
      const holder = holdWriteLock(database.url.slice('sqlite:'.length), 6500);
      await holder.locked;
      try {
        const store = await openStore(database.url);
        try {
          const site10 = await listArmingHistory(store.db, 10);
          expect(site10.map((row) => row.to_type)).toEqual([2, 3, 4]);
        } finally {
          await store.close();
        }
      } finally {
        await holder.exited;
      }
    },
  );

  it('a migration that fails halfway leaves nothing of it applied, and the next start applies it whole', async () => {
    await seedVersion1History(db);
    // 0002 adds its columns, then fills them in: the fill fails, after the columns were added.
    await failEvery(db as Kysely<unknown>, database.backend, 'update', 'arming_history');
    await expect(openStore(database.url)).rejects.toThrow(/0002_history_chain failed: .*injected failure/);
    await stopFailing(db as Kysely<unknown>, database.backend, 'arming_history');
    await db.destroy();

    const store = await openStore(database.url);
    try {
      const site10 = await listArmingHistory(store.db, 10);
      expect(site10.map((row) => row.previous_id)).toEqual([null, site10[0]?.id, site10[1]?.id]);
    } finally {
      await store.close();
    }
  });
});

/** One dealer, 1,000 sites, and `rows` history rows spread over them, written by PostgreSQL itself. */
async function seedLargeVersion1History(db: Kysely<Database>, rows: number): Promise<void> {
  await sql`insert into dealers (id, name, created_at) values (1, 'Dealer', '2026-01-01T00:00:00.000Z')`.execute(
    db,
  );
  await sql`
    insert into sites (id, dealer_id, external_site_id, name, security_type, created_at, updated_at)
    select n, 1, 'ext-' || n, 'Site ' || n, 1, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z'
    from generate_series(1, 1000) as n`.execute(db);
  await sql`
    insert into arming_history (site_id, dealer_id, from_type, to_type, client_id, trace_id, changed_at)
    select 1 + n % 1000, 1, 1, 2, 'client', 'trace', '2026-01-01T00:00:00.000Z'
    from generate_series(1, ${rows}) as n`.execute(db);
}

/** A process of its own that takes the file's write lock (in WAL mode, as the server leaves it), and commits `ms` after. */
function holdWriteLock(file: string, ms: number): { locked: Promise<void>; exited: Promise<void> } {
  const script = `
    const connection = new (require(process.argv[1]))(process.argv[2]);
    connection.pragma('journal_mode = WAL');
    connection.exec('begin immediate');
    process.stdout.write('locked');
    setTimeout(() => connection.exec('commit'), ${ms});`;
  const child = spawn(process.execPath, ['-e', script, require.resolve('better-sqlite3'), file]);
  const locked = new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`lock holder exited with ${code} before locking`)));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { locked, exited };
}

function rawConnection(database: TestDatabase): Kysely<Database> {
  if (database.backend === 'postgres') {
    return new Kysely({
      dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: database.url }) }),
    });
  }
  const file = database.url.slice('sqlite:'.length);
  return new Kysely({ dialect: new SqliteDialect({ database: new SqliteDatabase(file) }) });
}

/** Three sites as version 0001 wrote them: history rows of two sites interleaved, one site without. */
async function seedVersion1History(db: Kysely<Database>): Promise<void> {
  const at = '2026-01-01T00:00:00.000Z';
  await db.insertInto('dealers').values({ id: 1, name: 'Dealer', created_at: at }).execute();
  const site = (id: number, securityType: SecurityType) => ({
    id,
    dealer_id: 1,
    external_site_id: `ext-${id}`,
    name: `Site ${id}`,
    security_type: securityType,
    created_at: at,
    updated_at: at,
  });
  await db
    .insertInto('sites')
    .values([site(10, 4), site(11, 1), site(12, 1)])
    .execute();
  const history = (siteId: number, from: SecurityType, to: SecurityType) => ({
    site_id: siteId,
    dealer_id: 1,
    from_type: from,
    to_type: to,
    client_id: 'client',
    trace_id: 'trace',
    changed_at: at,
  });
  for (const row of [
    history(10, 1, 2),
    history(11, 1, 3),
    history(10, 2, 3),
    history(11, 3, 1),
    history(10, 3, 4),
  ]) {
    await db.insertInto('arming_history').values(row).execute();
  }
}

describe('migrations: a database a newer version has migrated', () => {
  let database: TestDatabase;

  beforeEach(async () => {
    database = await createTestDatabase();
  });

  afterEach(async () => {
    await database.drop();
  });

  it('is refused on both backends, naming the migration this version does not know', async () => {
    await (await openStore(database.url)).close();
    const db = rawConnection(database);
    try {
      await sql`insert into kysely_migration (name, timestamp) values ('9999_from_a_newer_version', '2027-01-01T00:00:00.000Z')`.execute(
        db,
      );
    } finally {
      await db.destroy();
    }
    await expect(openStore(database.url)).rejects.toThrow(
      /corrupted migrations: previously executed migration 9999_from_a_newer_version is missing/,
    );
  });
});

describe('migrations: a database that cannot be reached', () => {
  it('fails with the cause, naming the database and no migration when none ran', async () => {
    // Port 1 on the loopback: nothing listens, so the connection is refused at once. No migration
    // failed: the message says what did, not "database migration failed".
    await expect(openStore('postgres://nobody:secret@127.0.0.1:1/none')).rejects.toThrow(
      /^database postgres:\/\/nobody:\*\*\*@127\.0\.0\.1:1\/none: connect ECONNREFUSED 127\.0\.0\.1:1$/,
    );
  });
});
