import { Semaphore, withTimeout } from 'async-mutex';

/** Runs a write statement once a write slot is free (writeSlots). */
export type WriteSlots = <T>(write: () => Promise<T>) => Promise<T>;

/** The code of the error a write gets when no slot came free in time (availability.ts: a 503). */
export const WRITE_SLOTS_BUSY = 'WRITE_SLOTS_BUSY';

/**
 * At most half of a PostgreSQL pool's connections (at least one) may be taken by writes at once.
 * A write waits on its sites' row locks, for up to the statement timeout, and holds its
 * connection all that while: unbounded, the PATCHes of one site locked elsewhere (a long
 * transaction, an operator's psql) took every connection, and GETs of other sites, token
 * requests and /readyz failed with 503 for want of one. A write that waits longer than `waitMs`
 * for a slot fails as the pool's own wait for a connection does: as a database that is
 * unavailable, a 503.
 */
export function writeSlots(poolSize: number, waitMs: number): WriteSlots {
  const busy = Object.assign(new Error(`every write slot stayed busy for ${waitMs} ms`), {
    code: WRITE_SLOTS_BUSY,
  });
  const slots = withTimeout(new Semaphore(Math.max(1, Math.floor(poolSize / 2))), waitMs, busy);
  return (write) => slots.runExclusive(write);
}
