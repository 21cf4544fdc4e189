import type { SqliteSync } from './store.js';

interface Job {
  work(): unknown;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** Bounds how long the last write of a batch waits for the ones before it. */
const MAX_BATCH = 256;

/** Thrown inside a batch's transaction to roll it back when one of its writes failed. */
class WriteFailed extends Error {}

/**
 * Group commit, for SQLite: it commits one transaction at a time and each durable commit
 * (synchronous=FULL) waits for an fsync, so concurrent writes share one transaction and one
 * commit. Writes queued during one turn of the event loop run, in arrival order, in one
 * transaction, and one commit makes them all durable; only then is any of them resolved.
 *
 * A batch runs synchronously from BEGIN to COMMIT (better-sqlite3 is synchronous), so no other
 * request can run, or read, while it is open. If a write of the batch throws, the batch is rolled
 * back and each of its writes runs again in a transaction of its own, so a failing write fails
 * alone and its neighbours still commit (writes are re-runnable: they only touch the database).
 * A failed commit rejects every write of its batch: none of them happened.
 */
export class GroupCommit {
  private pending: Job[] = [];
  private scheduled = false;

  constructor(private readonly sqlite: SqliteSync) {}

  /**
   * Runs `work` in a transaction and resolves with its result once that transaction has committed.
   * The work's writes are all or nothing; a work that throws leaves nothing behind and rejects
   * with its error. `work` runs synchronously and must touch only the database.
   */
  run<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ work, resolve: resolve as (value: unknown) => void, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // setImmediate runs after this turn's I/O callbacks: every request read in this turn joins.
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    // A transaction begun elsewhere (through Kysely) must end first: ours would nest inside it.
    if (this.sqlite.inTransaction()) {
      this.schedule();
      return;
    }
    // The WAL checkpointer is finishing a checkpoint: this batch commits right after it.
    if (!this.sqlite.writable()) {
      this.scheduled = true;
      this.sqlite.whenWritable(() => {
        this.scheduled = false;
        this.flush();
      });
      return;
    }
    const batch = this.pending.splice(0, MAX_BATCH);
    if (batch.length === 0) return;
    try {
      const values = this.runTogether(batch);
      if (values) {
        batch.forEach((job, i) => {
          job.resolve(values[i]);
        });
      } else {
        for (const job of batch) this.runAlone(job);
      }
    } catch (error) {
      for (const job of batch) job.reject(error);
    }
    if (this.pending.length > 0) this.schedule();
  }

  /** The whole batch in one transaction: its results, or undefined if a write threw (all undone). */
  private runTogether(batch: Job[]): unknown[] | undefined {
    try {
      return this.sqlite.transaction(() =>
        batch.map((job) => {
          try {
            return job.work();
          } catch {
            throw new WriteFailed();
          }
        }),
      );
    } catch (error) {
      if (error instanceof WriteFailed) return undefined;
      throw error;
    }
  }

  private runAlone(job: Job): void {
    let value: unknown;
    try {
      value = this.sqlite.transaction(() => job.work());
    } catch (error) {
      job.reject(error);
      return;
    }
    job.resolve(value);
  }
}
