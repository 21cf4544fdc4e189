import type { Database as SqliteConnection } from 'better-sqlite3';
import { type CompiledQuery, Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import type { Pool as PgPool } from 'pg';
import { redactUrl } from '../config.js';
import { AttachedFiles } from './attached-files.js';
import { migrateToLatest, migratorHasWork } from './migrations.js';
import { oneInstanceAtATime } from './one-instance-at-a-time.js';
import { createDatabaseFilePrivately, databaseFileWarnings } from './private-database-file.js';
import { type RowReader, rowReader } from './row-reader.js';
import type { Database } from './schema.js';
import { cachingStatements, type StatementCache } from './statement-cache.js';
import { type CheckpointerOptions, WalCheckpointer } from './wal-checkpointer.js';
import { isWritableDatabase, unwritableFileWarnings } from './writable-file.js';
import { type WriteSlots, writeSlots } from './write-slots.js';

export type Dialect = 'sqlite' | 'postgres';

/**
 * `read_only`: it answers, but a write would fail (a standby, a file this process may not write).
 * `no_tables`: it answers, but is not the database the server migrated (dropped and created
 * again empty, or being restored from a dump): every request would fail.
 */
export type Readiness = 'ready' | 'unreachable' | 'read_only' | 'no_tables';

/**
 * The one way into the database. Routes and services see a Kysely instance and never which
 * backend is behind it; only repositories whose SQL or locking differs ask for `dialect`.
 */
export type Store = SqliteStore | PostgresStore;

interface StoreBase {
  readonly db: Kysely<Database>;
  /**
   * Runs one compiled statement on its own (a write is its own transaction) and returns its first
   * row, if any: the fastest way to run a hot lookup or a single-statement write.
   */
  queryFirst<R>(query: CompiledQuery<R>): Promise<R | undefined>;
  /** Like `queryFirst`, returning every row. */
  queryAll<R>(query: CompiledQuery<R>): Promise<R[]>;
  /** Whether the database answers a trivial query, and whether it would take a write. */
  readiness(): Promise<Readiness>;
  /** What the operator should hear about the database when the server starts (an open file mode, say). */
  readonly warnings: readonly string[];
  close(): Promise<void>;
}

export interface PostgresStore extends StoreBase {
  readonly dialect: 'postgres';
  /** Where a write statement runs, so that writes waiting on row locks leave reads connections. */
  readonly writing: WriteSlots;
}

export interface SqliteStore extends StoreBase {
  readonly dialect: 'sqlite';
  /** The connection's synchronous side, for writes that must not interleave with anything. */
  readonly sync: SqliteSync;
  /** The checkpointing thread, when the store was opened with `backgroundCheckpoints`. */
  readonly checkpointer: WalCheckpointer | undefined;
}

/**
 * Compiled statements run synchronously on the SQLite connection (better-sqlite3 is synchronous).
 * Code between `transaction`'s begin and commit cannot be interleaved with any other request.
 */
export interface SqliteSync {
  first<R>(query: CompiledQuery<R>): R | undefined;
  all<R>(query: CompiledQuery<R>): R[];
  run(query: CompiledQuery): void;
  /** Runs `work` in a transaction: committed if it returns, rolled back if it throws. */
  transaction<T>(work: () => T): T;
  /** Whether a transaction is open on the connection (one begun through Kysely, say). */
  inTransaction(): boolean;
  /**
   * False for the few milliseconds the WAL checkpointer holds writes back to finish a checkpoint
   * (see WalCheckpointer); a batch of writes should then wait for `whenWritable`.
   */
  writable(): boolean;
  /** Calls `callback` once writes may go on: at once if they may now. */
  whenWritable(callback: () => void): void;
}

export interface StoreOptions {
  pgPoolSize?: number;
  pgStatementTimeoutMs?: number;
  /**
   * SQLite: read up to this many MB of the database file through a memory map instead of copying
   * each page in with a read(2). Pages read that way count in the process's RSS. 0 (default): none.
   */
  sqliteMmapMb?: number;
  /**
   * SQLite: checkpoint the WAL on a thread of its own instead of inside commits (the server does;
   * a CLI call, short-lived, need not start a thread). `true`, or how to run it.
   */
  backgroundCheckpoints?: boolean | CheckpointerOptions;
}

/** Opens (creating if needed) and migrates the database named by the URL. */
export async function openStore(url: string, options: StoreOptions = {}): Promise<Store> {
  try {
    return await openAndMigrate(url, options);
  } catch (error) {
    // "file is not a database" alone does not say which file: the operator's message names it.
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`database ${redactUrl(url)}: ${reason}`, { cause: error });
  }
}

async function openAndMigrate(url: string, options: StoreOptions): Promise<Store> {
  const file = sqliteFileOf(url);
  const store = file === undefined ? await openPostgres(url, options) : await openSqlite(file, options);
  try {
    if (store.dialect === 'postgres') await migratePostgresUnhurried(url);
    else await migrateSqliteAllOrNothing(store);
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}

/** How long SQLite waits for another process's lock (the CLI's write, say) before it fails. */
const BUSY_TIMEOUT_MS = 5000;

/**
 * Every SQLite connection of the server, the event loop's and the checkpointer's alike.
 * WAL lets the CLI and readers work beside the server; FULL makes a committed write survive power
 * loss; the busy timeout turns a brief lock held by another process into a short wait.
 * synchronous must be set explicitly: better-sqlite3 is built with SQLITE_DEFAULT_WAL_SYNCHRONOUS=1,
 * which otherwise leaves a WAL connection at NORMAL (a commit may be lost on power loss).
 * The page cache is SQLite's own default (2 MB) instead of better-sqlite3's 16 MB: lookups are by
 * primary key, the B-tree's inner pages fit either way, and with 1,000,000 sites the random leaf
 * reads missed the larger cache nearly as often while it held 14 MB more (measured: same CPU
 * per lookup).
 */
const SQLITE_PRAGMAS = [
  'journal_mode = WAL',
  'synchronous = FULL',
  'foreign_keys = ON',
  `busy_timeout = ${BUSY_TIMEOUT_MS}`,
  'cache_size = -2000',
];

/**
 * PostgreSQL's bigint (history ids, and counts): node-postgres reads it as a string, since it may
 * exceed what a JavaScript number holds exactly (2^53), while SQLite's rows, and schema.ts, have
 * numbers. No id of ours comes near 2^53 (a billion history rows a day would take 25,000 years).
 */
const INT8_OID = 20;

function numbersForBigints(types: typeof import('pg').types, oid: number, format?: 'text' | 'binary') {
  if (oid === INT8_OID && format !== 'binary') return Number;
  return format === undefined ? types.getTypeParser(oid) : types.getTypeParser(oid, format);
}

/** How much longer than PG_STATEMENT_TIMEOUT_MS a PostgreSQL query may go unanswered before it fails. */
const ANSWER_GRACE_MS = 1000;

/** The file a `sqlite:` URL names (`sqlite:///abs` and `sqlite:/abs` alike), or undefined for another URL. */
export function sqliteFileOf(url: string): string | undefined {
  if (!url.startsWith('sqlite:')) return undefined;
  return url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
}

// Each driver is loaded only when its backend is used: a CLI call on SQLite never loads pg.
async function openSqlite(file: string, options: StoreOptions): Promise<SqliteStore> {
  const { default: SqliteDatabase } = await import('better-sqlite3');
  const inMemory = file === ':memory:';
  if (!inMemory) createDatabaseFilePrivately(file);
  const connection = new SqliteDatabase(file);
  const files = inMemory ? undefined : new AttachedFiles(file);
  await applyPragmas(connection);
  // Only the serving connection reads pages at random; the checkpointer's thread writes them.
  const mmapMb = options.sqliteMmapMb ?? 0;
  if (mmapMb > 0) connection.pragma(`mmap_size = ${mmapMb * 1024 * 1024}`);
  const checkpoints = options.backgroundCheckpoints;
  const checkpointer =
    checkpoints && files
      ? new WalCheckpointer(
          connection,
          file,
          files.database,
          SQLITE_PRAGMAS,
          checkpoints === true ? {} : checkpoints,
        )
      : undefined;
  const statements = cachingStatements(connection);
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: statements }) });
  const sync = sqliteSync(connection, statements, rowReader(connection), checkpointer, files);
  return {
    db,
    dialect: 'sqlite',
    sync,
    checkpointer,
    queryFirst: (query) => queryFirstOnSqlite(db, sync, query),
    queryAll: (query) => queryAllOnSqlite(db, sync, query),
    readiness: async () => {
      if (!(await probe(db))) return 'unreachable';
      if (inMemory) return 'ready';
      return isWritableDatabase(file) && files?.attached() ? 'ready' : 'read_only';
    },
    warnings: inMemory ? [] : [...unwritableFileWarnings(file), ...databaseFileWarnings(file)],
    close: async () => {
      await checkpointer?.close();
      await db.destroy();
    },
  };
}

/**
 * Switching a new file to WAL needs the file to itself for a moment, and SQLite does not wait for
 * that (the busy timeout does not cover it): a second process opening the same new file at that
 * moment is told "database is locked" at once. It tries again, for as long as busy_timeout allows.
 */
async function applyPragmas(connection: SqliteConnection): Promise<void> {
  const deadline = performance.now() + BUSY_TIMEOUT_MS;
  for (const pragma of SQLITE_PRAGMAS) {
    while (!pragmaApplied(connection, pragma, deadline))
      await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** False when the file was busy and there is still time to try again. */
function pragmaApplied(connection: SqliteConnection, pragma: string, deadline: number): boolean {
  try {
    connection.pragma(pragma);
    return true;
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'SQLITE_BUSY' || performance.now() > deadline) throw error;
    return false;
  }
}

function sqliteSync(
  connection: SqliteConnection,
  statements: StatementCache,
  rows: RowReader,
  checkpointer: WalCheckpointer | undefined,
  files: AttachedFiles | undefined,
): SqliteSync {
  return {
    first: <R>(query: CompiledQuery<R>) => rows.first<R>(query.sql, query.parameters),
    all: <R>(query: CompiledQuery<R>) => rows.all<R>(query.sql, query.parameters),
    run: (query) => {
      statements.prepare(query.sql).run(query.parameters);
    },
    // IMMEDIATE: take the write lock at BEGIN (waiting up to busy_timeout for a CLI write), so a
    // read inside the transaction can never find its snapshot outdated when it comes to write.
    transaction: (work) => {
      // The checkpointing thread starts with the first write: a server that only reads needs none.
      checkpointer?.noteWrite();
      // A commit into a database file deleted or replaced meanwhile would be lost: never answered as done.
      files?.beforeCommit();
      const result = connection.transaction(work).immediate();
      files?.afterCommit();
      return result;
    },
    inTransaction: () => connection.inTransaction,
    writable: () => checkpointer?.writable() ?? true,
    whenWritable: (callback) => {
      if (checkpointer) checkpointer.whenWritable(callback);
      else callback();
    },
  };
}

/**
 * Kysely's migrator runs SQLite's statements one by one (it takes SQLite for a database that cannot
 * undo DDL), so a process stopped or failing halfway through a migration left its first
 * statements applied and the migration unrecorded: every later start then failed on them. SQLite
 * can undo DDL, so the migrations run in one transaction, which holds the write lock from the
 * start and so also makes processes started together on a new file take turns. Only when there
 * is something to apply, or a newer version's migration to refuse: a start on an up-to-date file
 * takes no write lock.
 */
async function migrateSqliteAllOrNothing(store: SqliteStore): Promise<void> {
  if (!(await migratorHasWork(store.db as Kysely<unknown>, 'sqlite'))) return;
  // The write lock may be held by another process's migrations, which on a large file take longer
  // than BUSY_TIMEOUT_MS (0002 on 500,000 sites and 4,000,000 history rows: 10 s): wait for them
  // to finish, as PostgreSQL's advisory lock does, instead of failing with "database is locked".
  await sql`pragma busy_timeout = ${sql.raw(String(MIGRATION_BUSY_TIMEOUT_MS))}`.execute(store.db);
  try {
    await oneInstanceAtATime(store, 'migrations', (db) => migrateToLatest(db as Kysely<unknown>, 'sqlite'));
  } finally {
    await sql`pragma busy_timeout = ${sql.raw(String(BUSY_TIMEOUT_MS))}`.execute(store.db);
  }
}

/** How long a process waits for another's migrations (or any other write lock) before its own. */
const MIGRATION_BUSY_TIMEOUT_MS = 10 * 60 * 1000;

/**
 * A migration may rewrite a whole table, which can take far longer than PG_STATEMENT_TIMEOUT_MS
 * allows a request's query: migrations run on a connection of their own, without the pool's
 * timeouts, so an upgrade of a large database does not fail every instance at start. Nor with
 * the database's or role's own (`ALTER DATABASE ... SET statement_timeout`, or `lock_timeout`,
 * which would also end a wait for another instance's migrations, or PostgreSQL 17's
 * `transaction_timeout`, where there is one): that connection turns them off.
 */
const UNHURRIED = [
  'set statement_timeout = 0',
  'set lock_timeout = 0',
  "select set_config('transaction_timeout', '0', false) where current_setting('transaction_timeout', true) is not null",
].join('; ');

async function migratePostgresUnhurried(url: string): Promise<void> {
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({
    connectionString: url,
    max: 1,
    connectionTimeoutMillis: 2000,
    onConnect: async (client) => {
      await client.query(UNHURRIED);
    },
  });
  pool.on('error', () => {});
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
  try {
    await migrateToLatest(db, 'postgres');
  } finally {
    await db.destroy();
  }
}

/**
 * A 200 says the change survives a crash of the database: with synchronous_commit off (set for
 * the database or the role, to speed up other work), PostgreSQL answers a commit before its WAL
 * reaches the disk, and a crash may lose it. As SQLite's synchronous=FULL is set explicitly, each
 * connection turns `off` into `on`; every other setting already waits for the local flush at
 * least (`local`), or for standbys too, and stays as the operator chose.
 */
const DURABLE_COMMITS =
  "select set_config('synchronous_commit', 'on', false) where current_setting('synchronous_commit') = 'off'";

/**
 * The writes' locking relies on READ COMMITTED: a PATCH that waited on a site row locked by another
 * reads the row as that one committed it and goes on (security-type-changes-on-postgres.ts). Under
 * a stricter default set for the database or role (`repeatable read`, `serializable`), that
 * PATCH failed instead ("could not serialize access due to concurrent update", a 500), so every
 * connection of the pool uses READ COMMITTED, whatever the default.
 */
const READ_COMMITTED = "select set_config('default_transaction_isolation', 'read committed', false)";

/**
 * The pool closes its own idle connections (after 10 s). An idle_session_timeout set for the
 * database or role (PostgreSQL 14+) would also have PostgreSQL end them, and a request that takes
 * one just as it is ended fails with it (57P05): 503s for nothing. Off for the pool's connections;
 * on an older PostgreSQL, which has no such setting, nothing is set.
 */
const NO_IDLE_SESSION_TIMEOUT =
  "select set_config('idle_session_timeout', '0', false) where current_setting('idle_session_timeout', true) is not null";

/** What each new pool connection sets before it is first handed out. */
const SESSION_SETTINGS = [DURABLE_COMMITS, READ_COMMITTED, NO_IDLE_SESSION_TIMEOUT].join('; ');

/** How long a request waits for a free pool connection (or a write for a write slot) before a 503. */
const CONNECTION_WAIT_MS = 2000;

async function openPostgres(url: string, options: StoreOptions): Promise<PostgresStore> {
  const { default: pg } = await import('pg');
  const statementTimeoutMs = options.pgStatementTimeoutMs ?? 5000;
  const poolSize = options.pgPoolSize ?? 10;
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    statement_timeout: statementTimeoutMs,
    // statement_timeout is the database's own limit, so a database that stops answering on an open
    // connection (a network partition, a stalled host) never enforces it: without a limit on our
    // side, the request would wait for the operating system to give up on the socket, for minutes.
    query_timeout: statementTimeoutMs + ANSWER_GRACE_MS,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    // Fail fast while the database is unreachable instead of queueing requests behind a dead socket.
    connectionTimeoutMillis: CONNECTION_WAIT_MS,
    types: { getTypeParser: (oid, format) => numbersForBigints(pg.types, oid, format) },
    // Before a new connection is first handed out; should it fail, so does the request that asked.
    onConnect: async (client) => {
      await client.query(SESSION_SETTINGS);
    },
  });
  // A connection dying (database restart, network cut) must fail the query that uses it, never
  // crash the process: the pool reports idle clients' errors, and each client reports its own
  // when it dies while checked out between two queries. The pool then discards the dead client.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const queryAll = namedStatementsOn(pool);
  return {
    db,
    dialect: 'postgres',
    queryAll,
    queryFirst: async (query) => (await queryAll(query))[0],
    writing: writeSlots(poolSize, CONNECTION_WAIT_MS),
    readiness: () => readinessOf(pool),
    warnings: [],
    close: () => db.destroy(),
  };
}

/**
 * better-sqlite3 is synchronous, so outside a transaction a statement run straight on the
 * connection sees exactly the committed data (and a write commits on its own), without Kysely's
 * executor (its connection mutex and promise chain cost more than the lookup itself on the GET
 * path). While a transaction is open on the connection (one begun through Kysely: a group-commit
 * batch never stays open past its synchronous run), its writes are not yet durable and must stay
 * invisible: the statement then waits its turn through Kysely, which hands the connection over
 * only after that transaction ends.
 */
async function queryFirstOnSqlite<R>(
  db: Kysely<Database>,
  sync: SqliteSync,
  query: CompiledQuery<R>,
): Promise<R | undefined> {
  if (sync.inTransaction()) return (await db.executeQuery(query)).rows[0];
  return sync.first(query);
}

async function queryAllOnSqlite<R>(
  db: Kysely<Database>,
  sync: SqliteSync,
  query: CompiledQuery<R>,
): Promise<R[]> {
  if (sync.inTransaction()) return (await db.executeQuery(query)).rows;
  return sync.all(query);
}

/**
 * Statements run on the pool directly as named prepared statements: PostgreSQL then parses and
 * plans each once per connection instead of on every request (Kysely sends unnamed statements),
 * and the request skips Kysely's executor. Names are per SQL text, so a name never changes meaning.
 */
function namedStatementsOn(pool: PgPool): PostgresStore['queryAll'] {
  const names = new Map<string, string>();
  return async <R>(query: CompiledQuery<R>) => {
    let name = names.get(query.sql);
    if (name === undefined) {
      name = `statement_${names.size + 1}`;
      names.set(query.sql, name);
    }
    const result = await pool.query({ name, text: query.sql, values: query.parameters as unknown[] });
    return result.rows as R[];
  };
}

/**
 * PostgreSQL is ready when it answers, would take a write and has the server's tables: after a
 * failover onto a standby, or with default_transaction_read_only set, it still answers reads while
 * every PATCH would fail; a database dropped and created again under running servers (a restore
 * from a dump) answers while every request fails, until the restore has brought the tables back.
 */
const READINESS = `select current_setting('transaction_read_only') as read_only,
  to_regclass('sites') is not null as has_tables`;

async function readinessOf(pool: PgPool): Promise<Readiness> {
  try {
    // Through the pool, not Kysely: a connection whose query failed (timed out) is discarded.
    const { rows } = await pool.query(READINESS);
    if (rows[0]?.has_tables !== true) return 'no_tables';
    return rows[0]?.read_only === 'off' ? 'ready' : 'read_only';
  } catch {
    return 'unreachable';
  }
}

async function probe(db: Kysely<Database>): Promise<boolean> {
  try {
    await sql`select 1`.execute(db);
    return true;
  } catch {
    return false;
  }
}
