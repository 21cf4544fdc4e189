import { describe, expect, it } from 'vitest';
import { WRITE_SLOTS_BUSY, writeSlots } from '../src/store/write-slots.js';

/** A write that holds its slot until released, as one waiting on a locked row does. */
function heldWrite() {
  let release = () => {};
  const done = new Promise<void>((resolve) => {
    release = resolve;
  });
  return { write: () => done, release };
}

const WAIT_MS = 50;

describe('write slots on a PostgreSQL pool', () => {
  it('with a pool of two, a write waiting on a locked row leaves the other writes a slot', async () => {
    const writing = writeSlots(2, WAIT_MS);
    const locked = heldWrite();
    const waiting = writing.mayWait(locked.write);
    // Another site's change still gets a slot at once...
    expect(await writing(async () => 'other site')).toBe('other site');
    // ...while a second write that may wait on a lock is refused its: the last slot stays free.
    await expect(writing.mayWait(async () => 'second locked')).rejects.toMatchObject({
      code: WRITE_SLOTS_BUSY,
    });
    locked.release();
    await waiting;
    expect(await writing.mayWait(async () => 'after')).toBe('after');
  });

  it('takes at most half of a larger pool, for every kind of write', async () => {
    const writing = writeSlots(10, WAIT_MS);
    const held = Array.from({ length: 5 }, () => heldWrite());
    const running = held.map((write) => writing(write.write));
    await expect(writing(async () => 'sixth')).rejects.toMatchObject({ code: WRITE_SLOTS_BUSY });
    for (const write of held) write.release();
    await Promise.all(running);
  });

  it('gives a write that may wait on a lock one wait in all, for its own slot and a write slot', async () => {
    const writing = writeSlots(4, 400);
    // Pool 4: two write slots, one of them for writes that may wait. A locked site's write holds
    // that one for 300 ms, and two plain writes take or wait for the write slots.
    const locked = heldWrite();
    const others = [heldWrite(), heldWrite()];
    const waiting = writing.mayWait(locked.write);
    await new Promise((resolve) => setTimeout(resolve, 0));
    const running = others.map((other) => writing(other.write));
    setTimeout(() => locked.release(), 300);
    const startedAt = performance.now();
    await expect(writing.mayWait(async () => 'second')).rejects.toMatchObject({ code: WRITE_SLOTS_BUSY });
    // Not 300 ms for its own slot and then 400 more for a write slot: 400 in all.
    expect(performance.now() - startedAt).toBeLessThan(600);
    for (const other of others) other.release();
    await Promise.all([waiting, ...running]);
  });

  it('with a pool of one, the one write slot serves both kinds', async () => {
    const writing = writeSlots(1, WAIT_MS);
    expect(await writing.mayWait(async () => 'locked site')).toBe('locked site');
    expect(await writing(async () => 'other site')).toBe('other site');
  });
});
