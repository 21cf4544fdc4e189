import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { Database as SqliteConnection } from 'better-sqlite3';

/** How often the thread checkpoints: often enough to keep the WAL small, rarely enough that pages
 * written many times in between are copied once. */
export const CHECKPOINT_INTERVAL_MS = 500;

/** SQLite's own default: a checkpoint by the committing connection once the WAL has 1000 pages. */
const AUTOCHECKPOINT_PAGES = 1000;

/** One checkpoint's result, as `PRAGMA wal_checkpoint` reports it (frames in the WAL, and copied). */
export interface CheckpointResult {
  log: number;
  checkpointed: number;
}

// Beside this module in the sources and tsc's output; beside the bundle in the production build.
const WORKER_FILE = new URL('./wal-checkpointer.worker.mjs', import.meta.url);

/**
 * Checkpoints on a thread of its own. By default SQLite checkpoints inside a COMMIT once the WAL
 * holds 1000 pages: the connection that commits (the event loop's, here) copies them into the
 * database file and fsyncs it. Under PATCH load that was a stall every few dozen batches and the
 * same hot pages copied over and over. Here the server's connection never checkpoints
 * (wal_autocheckpoint=0) and this thread does, twice a second, without blocking writers or readers.
 *
 * If the thread stops (it should not), the connection goes back to checkpointing by itself, so
 * the WAL never grows without bound.
 */
export class WalCheckpointer {
  private readonly worker: Worker;
  private readonly exited: Promise<unknown>;
  private closing = false;
  private readonly listeners = new Set<(result: CheckpointResult) => void>();

  constructor(connection: SqliteConnection, file: string, pragmas: readonly string[]) {
    this.worker = new Worker(WORKER_FILE, {
      workerData: { file, pragmas, intervalMs: CHECKPOINT_INTERVAL_MS },
    });
    // The thread never keeps the process alive; closing the store ends it.
    this.worker.unref();
    this.exited = once(this.worker, 'exit');
    connection.pragma('wal_autocheckpoint = 0');
    this.worker.on('message', (result: CheckpointResult) => {
      for (const listener of this.listeners) listener(result);
    });
    // An error is followed by 'exit'; either way the connection takes checkpoints back.
    this.worker.on('error', () => {});
    this.worker.once('exit', () => {
      if (connection.open) connection.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
      if (!this.closing) this.listeners.clear();
    });
  }

  /** Calls `listener` after each checkpoint (tests watch the thread's work this way). */
  onCheckpoint(listener: (result: CheckpointResult) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Ends the thread after its current checkpoint, if any. */
  async close(): Promise<void> {
    this.closing = true;
    // Until the thread has closed its connection, the process must not end under it.
    this.worker.ref();
    this.worker.postMessage('close');
    await this.exited;
  }
}
