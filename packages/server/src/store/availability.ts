import { WRITE_SLOTS_BUSY } from './write-slots.js';

/**
 * Whether an error means "the database cannot be reached right now" (a restart, a network
 * blip, a lock held too long, a disk that is full or will not be written) rather than a bug.
 * Those become 503 with Retry-After: the operator can mend them, and the request may be retried.
 */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '57014', // query_canceled (statement timeout)
  '25P04', // transaction_timeout (PostgreSQL 17+), set for the database or role
  '55P03', // lock_not_available: a row or table locked elsewhere past the operator's lock_timeout
  '57P04', // database_dropped
  '57P05', // idle_session_timeout ended the connection (the pool's connections turn it off: store.ts)
  '53100', // disk_full
  '53200', // out_of_memory
  '53300', // too_many_connections
  '55000', // object_not_in_prerequisite_state: "database ... is not currently accepting connections"
  '25006', // read_only_sql_transaction: a failover left the connection on a standby, or writes are off
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  WRITE_SLOTS_BUSY, // ours: writes already held every connection they may (write-slots.ts)
]);

/**
 * SQLite's primary result codes, which better-sqlite3 reports extended (SQLITE_READONLY_DBMOVED,
 * SQLITE_IOERR_FSYNC, ...): a lock held too long, a file this process may not write (its mode, a
 * read-only mount), a full disk, a failing one. Not CANTOPEN: a path that names no file is a
 * setting to fix, not a database to wait for.
 */
const UNAVAILABLE_SQLITE_CODES = [
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_READONLY',
  'SQLITE_FULL',
  'SQLITE_IOERR',
];

function isUnavailableCode(code: string): boolean {
  if (UNAVAILABLE_CODES.has(code)) return true;
  return UNAVAILABLE_SQLITE_CODES.some((primary) => code === primary || code.startsWith(`${primary}_`));
}

const UNAVAILABLE_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error',
  'Query read timeout', // pg's query_timeout: the database stopped answering an open connection
];

/**
 * A database that is gone, or that has none of our tables: to a running server, which migrated it
 * when it started, that is a database dropped or being restored under it, which the operator is
 * mending (a 503, as readiness says). Not in UNAVAILABLE_CODES: to the CLI, which opens the database
 * named on its command line, a database that does not exist is a typo to fix, not one to wait for.
 */
const GONE_CODES = new Set([
  '3D000', // invalid_catalog_name: "database ... does not exist"
  '42P01', // undefined_table
]);

export function isDatabaseGone(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && GONE_CODES.has(code);
}

export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current && depth < 5; depth++) {
    const candidate = current as { code?: unknown; message?: unknown; cause?: unknown };
    if (typeof candidate.code === 'string' && isUnavailableCode(candidate.code)) return true;
    const message = typeof candidate.message === 'string' ? candidate.message : '';
    if (UNAVAILABLE_MESSAGES.some((text) => message.includes(text))) return true;
    current = candidate.cause;
  }
  return false;
}
