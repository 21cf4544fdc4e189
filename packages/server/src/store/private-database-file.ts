import { closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * The SQLite file holds the token-signing private key, and whoever reads it can sign a token for
 * any client (RFC 7517 §9.3: private keys must be protected from disclosure). So a new database
 * is created readable by its owner only (0600), in a new folder that only its owner may open
 * (0700). SQLite creates the -wal and -shm files with the database file's mode.
 */
export function createDatabaseFilePrivately(file: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  try {
    closeSync(openSync(file, 'wx', 0o600));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

/** What to tell the operator when a database file other users may read or write already exists. */
export function databaseFileWarnings(file: string): string[] {
  const mode = statSync(file).mode & 0o777;
  if ((mode & 0o077) === 0) return [];
  return [
    `the database file ${file} is open to other users (mode ${mode.toString(8).padStart(4, '0')}) and holds ` +
      `the token-signing key: chmod 600 it and its -wal and -shm files`,
  ];
}
