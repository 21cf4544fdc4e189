import { Semaphore, withTimeout } from 'async-mutex';

/**
 * Runs a write statement once a write slot is free (writeSlots). `mayWait` is for a write that
 * may wait on a site's row lock (FOR UPDATE without SKIP LOCKED): it never takes the last slot.
 */
export interface WriteSlots {
  <T>(write: () => Promise<T>): Promise<T>;
  mayWait<T>(write: () => Promise<T>): Promise<T>;
}

/** The code of the error a write gets when no slot came free in time (availability.ts: a 503). */
export const WRITE_SLOTS_BUSY = 'WRITE_SLOTS_BUSY';

/**
 * At most half of a PostgreSQL pool's connections (at least one; two with a pool of two or more)
 * may be taken by writes at once. A write waits on its sites' row locks, for up to the statement
 * timeout, and holds its connection all that while: unbounded, the PATCHes of one site locked
 * elsewhere (a long transaction, an operator's psql) took every connection, and GETs of other
 * sites, token requests and /readyz failed with 503 for want of one. Writes that may wait on a
 * row lock take one slot fewer than that: with a pool of two, the one write slot went to the
 * PATCH waiting on a locked site, and the PATCHes of every other site failed with 503 waiting for
 * it. A write that waits longer than `waitMs` for a slot fails as the pool's own wait for a
 * connection does: as a database that is unavailable, a 503.
 */
export function writeSlots(poolSize: number, waitMs: number): WriteSlots {
  const busy = Object.assign(new Error(`every write slot stayed busy for ${waitMs} ms`), {
    code: WRITE_SLOTS_BUSY,
  });
  const count = poolSize < 2 ? 1 : Math.max(2, Math.floor(poolSize / 2));
  const writeSlot = new Semaphore(count);
  const slots = withTimeout(writeSlot, waitMs, busy);
  const waitingSlots = withTimeout(new Semaphore(Math.max(1, count - 1)), waitMs, busy);
  const writing = <T>(write: () => Promise<T>) => slots.runExclusive(write);
  // Both waits of a write that may wait on a lock share the one `waitMs`, as the README says.
  const mayWait = <T>(write: () => Promise<T>) => {
    const deadline = performance.now() + waitMs;
    return waitingSlots.runExclusive(() => {
      const left = Math.max(0, deadline - performance.now());
      return withTimeout(writeSlot, left, busy).runExclusive(write);
    });
  };
  return Object.assign(writing, { mayWait });
}
