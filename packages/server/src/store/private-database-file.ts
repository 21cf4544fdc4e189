import {
  accessSync,
  closeSync,
  constants,
  lstatSync,
  mkdirSync,
  openSync,
  realpathSync,
  statSync,
} from 'node:fs';
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
    if (isDanglingSymbolicLink(file)) createLinkTargetPrivately(file);
    else refuseUnreadable(file);
  }
}

/** A symbolic link to a file not made yet: 'wx' refuses it (O_EXCL never follows a link). */
function isDanglingSymbolicLink(file: string): boolean {
  try {
    if (!lstatSync(file).isSymbolicLink()) return false;
    statSync(file);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

/**
 * The file the link names, created as a new database file is (0600). Left to SQLite, it would be
 * created with the umask's mode (0644): the signing key readable by every user. Without O_EXCL
 * the link is followed; a file made there meanwhile is only opened. What cannot be created (the
 * link's folder missing) is SQLite's to report, as before.
 */
function createLinkTargetPrivately(file: string): void {
  try {
    closeSync(openSync(file, constants.O_RDONLY | constants.O_CREAT, 0o600));
  } catch {
    // SQLite says why it cannot open the file.
  }
}

/**
 * SQLite says only "unable to open database file" of a file this process may not read (a backup
 * put back by root, say): EACCES names the file and the reason. Any other answer is SQLite's to
 * handle, and a file it may read but not write is served read-only (writable-file.ts).
 */
function refuseUnreadable(file: string): void {
  try {
    accessSync(file, constants.R_OK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EACCES') throw error;
  }
}

/** The files a SQLite database in WAL mode is made of: its own, and the -wal and -shm beside it. */
export function databaseFilesOf(file: string): string[] {
  return [file, walFileOf(file), `${realPathOf(file)}-shm`];
}

/** SQLite names the -wal (and -shm) file after the database file's real path, through symbolic links. */
export function walFileOf(file: string): string {
  return `${realPathOf(file)}-wal`;
}

function realPathOf(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return file; // not created yet
  }
}

/**
 * What to tell the operator when the database file, or its -wal or -shm file (the newest pages,
 * the key's among them, may be only there), is open to other users: one warning naming each.
 */
export function databaseFileWarnings(file: string): string[] {
  const open = databaseFilesOf(file).flatMap((path) => {
    const mode = modeOf(path);
    if (mode === undefined || (mode & 0o077) === 0) return [];
    return [`${path} (mode ${mode.toString(8).padStart(4, '0')})`];
  });
  if (open.length === 0) return [];
  return [
    `database files open to other users hold the token-signing key: ${open.join(', ')}; ` +
      `chmod 600 ${file} and its -wal and -shm files`,
  ];
}

function modeOf(path: string): number | undefined {
  try {
    return statSync(path).mode & 0o777;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
