import type { ControlledTransaction, Kysely } from 'kysely';
import type { Database } from './schema.js';

/** Runs writes that must be atomic and durable before anyone is told they happened. */
export interface WriteQueue {
  /**
   * Runs `work` in a transaction and resolves with its result once that transaction has committed.
   * The work's writes are all or nothing; a work that throws leaves nothing behind and rejects
   * with its error. `work` must use only the `trx` it is given.
   */
  run<T>(work: (trx: Kysely<Database>) => Promise<T>): Promise<T>;
}

interface Job {
  work(trx: Kysely<Database>): Promise<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** Bounds how long the last write of a batch waits for the ones before it. */
const MAX_BATCH = 256;

/**
 * Group commit, for SQLite: it commits one transaction at a time and each durable commit
 * (synchronous=FULL) waits for an fsync, so concurrent writes share one transaction and one
 * commit. Writes queued during one turn of the event loop run, in arrival order, in one
 * transaction, and one commit makes them all durable; only then is any of them resolved. While a
 * batch commits, the next one gathers. If a write of the batch throws, the batch is rolled back
 * and each of its writes runs again in a transaction of its own, so a failing write fails alone
 * and its neighbours still commit (writes are re-runnable: they only touch the database, through
 * `trx`). A failed commit rejects every write of its batch: none of them happened.
 */
export class GroupCommit implements WriteQueue {
  private pending: Job[] = [];
  private scheduled = false;
  private committing = false;

  constructor(private readonly db: Kysely<Database>) {}

  run<T>(work: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ work, resolve: resolve as (value: unknown) => void, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.committing) return;
    this.scheduled = true;
    // setImmediate runs after this turn's I/O callbacks: every request read in this turn joins.
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending.splice(0, MAX_BATCH);
    if (batch.length === 0) return;
    this.committing = true;
    try {
      const values = await this.runTogether(batch);
      if (values) {
        batch.forEach((job, i) => {
          job.resolve(values[i]);
        });
      } else {
        for (const job of batch) await this.runAlone(job);
      }
    } catch (error) {
      for (const job of batch) job.reject(error);
    } finally {
      this.committing = false;
      if (this.pending.length > 0) this.schedule();
    }
  }

  /** The whole batch in one transaction: its results, or undefined if a write threw (all undone). */
  private async runTogether(batch: Job[]): Promise<unknown[] | undefined> {
    const trx = await this.db.startTransaction().execute();
    const values: unknown[] = [];
    try {
      for (const job of batch) values.push(await job.work(trx));
    } catch {
      await trx.rollback().execute();
      return undefined;
    }
    await commitOrRollBack(trx);
    return values;
  }

  private async runAlone(job: Job): Promise<void> {
    const trx = await this.db.startTransaction().execute();
    let value: unknown;
    try {
      value = await job.work(trx);
    } catch (error) {
      await trx.rollback().execute();
      job.reject(error);
      return;
    }
    await commitOrRollBack(trx);
    job.resolve(value);
  }
}

async function commitOrRollBack(trx: ControlledTransaction<Database>): Promise<void> {
  try {
    await trx.commit().execute();
  } catch (error) {
    await trx
      .rollback()
      .execute()
      .catch(() => {
        // The commit's own error is the one worth reporting.
      });
    throw error;
  }
}
