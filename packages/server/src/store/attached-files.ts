import { type BigIntStats, statSync } from 'node:fs';
import { walFileOf } from './private-database-file.js';

/** Which file a path named when it was opened: its device and inode. */
export interface FileIdentity {
  readonly dev: bigint;
  readonly ino: bigint;
}

/**
 * Whether the SQLite files the server's connection writes are still the ones their paths name.
 *
 * The connection keeps the database file and its -wal file open. An operator who deletes, moves
 * or replaces either (or removes their folder) while the server runs leaves it writing to files
 * no path names any more: every commit still succeeds, reads see it, and it is all lost when the
 * process ends, since the next start opens whatever the path names then. SQLite notices a moved
 * database file only with a rollback journal, never in WAL mode. So the store compares, after
 * each commit, the files at the paths with the ones it opened (device and inode): a commit into
 * files that are no longer the database is not durable, and must not be answered as if it were.
 * Once detached, always detached: the connection cannot get the files back, a restart does.
 */
export class AttachedFiles {
  /** The database file as the connection opened it. */
  readonly database: FileIdentity;
  /** The -wal file's identity, known from the first time it is seen (a new file has none at first). */
  private wal: BigIntStats | undefined;
  /** Where SQLite keeps the -wal file: beside the real file, through any symbolic link. */
  private readonly walFile: string;
  private detached = false;

  constructor(private readonly file: string) {
    const database = identityOf(file);
    if (!database) throw new Error(`${file} vanished as it was opened`);
    this.database = { dev: database.dev, ino: database.ino };
    this.walFile = walFileOf(file);
  }

  /** Before a write transaction: refuses at once once the files are known to be detached. */
  beforeCommit(): void {
    if (this.detached) throw new DatabaseDetached(this.file);
  }

  /** After a commit, which always writes the -wal file: throws unless it went to the database's files. */
  afterCommit(): void {
    if (!this.stillAttached(true)) throw new DatabaseDetached(this.file);
  }

  /** For readiness: false once the files the connection writes are no longer the database's. */
  attached(): boolean {
    return this.stillAttached(false);
  }

  private stillAttached(committed: boolean): boolean {
    if (this.detached) return false;
    const wal = identityOf(this.walFile);
    this.wal ??= wal;
    // A commit leaves a -wal file, and SQLite removes it only when the last connection closes.
    const walAttached = wal ? sameFile(this.wal, wal) : !committed && this.wal === undefined;
    this.detached = !walAttached || !sameFile(this.database, identityOf(this.file));
    return !this.detached;
  }
}

/**
 * SQLite's own code for "the database file has been moved since it was opened": a 503 with
 * Retry-After (availability.ts), as for a file the server may not write, and a message for the log.
 */
class DatabaseDetached extends Error {
  readonly code = 'SQLITE_READONLY_DBMOVED';
  constructor(file: string) {
    super(
      `${file} or its -wal file is no longer the file this server opened (deleted, moved or replaced ` +
        'while it ran): writes to it would be lost, so none is accepted; restart the server',
    );
  }
}

/** Undefined for a path that names no file, or none this process can see (a folder turned file). */
function identityOf(path: string): BigIntStats | undefined {
  try {
    return statSync(path, { bigint: true, throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

function sameFile(opened: FileIdentity | undefined, now: FileIdentity | undefined): boolean {
  return opened !== undefined && now !== undefined && opened.dev === now.dev && opened.ino === now.ino;
}
