import { accessSync, constants, existsSync } from 'node:fs';
import { databaseFilesOf } from './private-database-file.js';

/**
 * Whether this process may write the SQLite database: its file and, in WAL mode, the -wal file
 * that takes every commit and the -shm file beside it, where they exist. SQLite opens a file it
 * may only read without a word, and then every write fails: the server would start, answer GETs,
 * and fail each PATCH. So the operator hears of it when the server starts, and readiness
 * (/readyz) says 503 while it lasts, as it does for a PostgreSQL that takes no writes.
 */
export function isWritableDatabase(file: string): boolean {
  return databaseFilesOf(file).every((path) => !existsSync(path) || isWritableFile(path));
}

function isWritableFile(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

export function unwritableFileWarnings(file: string): string[] {
  if (isWritableDatabase(file)) return [];
  return [
    `${file} (or its -wal or -shm file) is not writable by this process: every PATCH will be answered 503, and /readyz 503, ` +
      'until it is (check its owner, its mode and whether its file system is mounted read-only)',
  ];
}
