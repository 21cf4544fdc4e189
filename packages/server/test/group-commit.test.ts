import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GroupCommit } from '../src/store/group-commit.js';
import { findSite } from '../src/store/repositories/sites.js';
import { openStore, type SqliteStore } from '../src/store/store.js';
import { createTestDatabase, type TestDatabase, testBackend } from './support/database.js';

// Group commit is how SQLite writes; PostgreSQL writes each change as one statement instead
// (security-type-changes.ts), which the arming and scale-out tests cover there.
describe.skipIf(testBackend() !== 'sqlite')('write queue (group commit on SQLite)', () => {
  let database: TestDatabase;
  let store: SqliteStore;

  beforeEach(async () => {
    database = await createTestDatabase();
    const opened = await openStore(database.url);
    if (opened.dialect !== 'sqlite') throw new Error('expected a SQLite store');
    store = opened;
  });

  afterEach(async () => {
    await store.close();
    await database.drop();
  });

  const insertDealer = (id: number) => () =>
    store.sync.run(
      store.db
        .insertInto('dealers')
        .values({ id, name: `Dealer ${id}`, created_at: '2026-01-01T00:00:00Z' })
        .compile(),
    );

  const dealerIds = async () =>
    (await store.db.selectFrom('dealers').select('id').orderBy('id').execute()).map((row) => Number(row.id));

  it('commits durably: WAL with synchronous=FULL, so a 200 survives a power loss', async () => {
    const pragma = (name: string) => sql.raw(`pragma ${name}`).execute(store.db);
    expect((await pragma('journal_mode')).rows).toEqual([{ journal_mode: 'wal' }]);
    // 2 is FULL; left unset, this build of SQLite would run WAL mode at NORMAL (1).
    expect((await pragma('synchronous')).rows).toEqual([{ synchronous: 2 }]);
    // No memory map unless the operator asks for one (SQLITE_MMAP_MB): mapped pages count in RSS.
    expect((await pragma('mmap_size')).rows).toEqual([{ mmap_size: 0 }]);
  });

  it('reads through a memory map of the size the operator sets, and writes as before', async () => {
    const mapped = await openStore(database.url, { sqliteMmapMb: 64 });
    try {
      const size = await sql.raw('pragma mmap_size').execute(mapped.db);
      expect(size.rows).toEqual([{ mmap_size: 64 * 1024 * 1024 }]);
      await mapped.db
        .insertInto('dealers')
        .values({ id: 7, name: 'Mapped', created_at: '2026-01-01T00:00:00Z' })
        .execute();
      expect(await dealerIds()).toEqual([7]);
    } finally {
      await mapped.close();
    }
  });

  it('commits concurrent writes and resolves each with its own result', async () => {
    const queue = new GroupCommit(store.sync);
    const results = await Promise.all(
      [1, 2, 3].map((id) =>
        queue.run(() => {
          insertDealer(id)();
          return id;
        }),
      ),
    );
    expect(results).toEqual([1, 2, 3]);
    expect(await dealerIds()).toEqual([1, 2, 3]);
  });

  it('rolls back a failing write alone: its partial writes vanish, its neighbours commit', async () => {
    const queue = new GroupCommit(store.sync);
    const outcomes = await Promise.allSettled([
      queue.run(insertDealer(1)),
      queue.run(() => {
        insertDealer(2)();
        throw new Error('refused after writing');
      }),
      queue.run(insertDealer(3)),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await dealerIds()).toEqual([1, 3]);
  });

  it('keeps arrival order: of two writes of the same key in one batch, the second one fails', async () => {
    const queue = new GroupCommit(store.sync);
    const outcomes = await Promise.allSettled([queue.run(insertDealer(5)), queue.run(insertDealer(5))]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected']);
    expect(await dealerIds()).toEqual([5]);
  });

  it('waits for a transaction begun elsewhere instead of nesting inside it', async () => {
    const queue = new GroupCommit(store.sync);
    const elsewhere = await store.db.startTransaction().execute();
    await elsewhere.insertInto('dealers').values({ id: 7, name: 'Dealer 7', created_at: 'x' }).execute();
    const queued = queue.run(insertDealer(8));
    await new Promise((resolve) => setTimeout(resolve, 20));
    await elsewhere.rollback().execute();
    await queued;
    // Nested inside the rolled-back transaction, dealer 8 would have vanished with dealer 7.
    expect(await dealerIds()).toEqual([8]);
  });

  it('never shows a reader a write that is not committed', async () => {
    await insertDealer(1)();
    await store.db
      .insertInto('sites')
      .values({
        id: 10,
        dealer_id: 1,
        external_site_id: 'ext-10',
        name: 'Site 10',
        security_type: 1,
        created_at: '2026-01-01T00:00:00Z',
        updated_at: '2026-01-01T00:00:00Z',
      })
      .execute();
    const elsewhere = await store.db.startTransaction().execute();
    await elsewhere.updateTable('sites').set({ security_type: 4 }).where('id', '=', 10).execute();
    // A transaction is open on the connection and holds the 4, which is about to be rolled back.
    const readDuringTransaction = findSite(store, 1, 10);
    await elsewhere.rollback().execute();
    expect(await readDuringTransaction).toMatchObject({ id: 10, security_type: 1 });
  });

  it("commits the writes queued in one turn in one transaction, and a later turn's in another", async () => {
    let transactions = 0;
    const queue = new GroupCommit({
      ...store.sync,
      transaction: (work) => {
        transactions += 1;
        return store.sync.transaction(work);
      },
    });
    const write = (id: number) =>
      queue.run(() => {
        insertDealer(id)();
        return id;
      });
    // Like the PATCH handlers of the requests read in one turn of the event loop.
    const together = [1, 2, 3].map(write);
    expect(await Promise.all(together)).toEqual([1, 2, 3]);
    expect(transactions).toBe(1);
    expect(await write(4)).toBe(4);
    expect(transactions).toBe(2);
    expect(await dealerIds()).toEqual([1, 2, 3, 4]);
  });

  it('commits every write of a turn with more writes than one batch takes, none left waiting', async () => {
    let transactions = 0;
    const queue = new GroupCommit({
      ...store.sync,
      transaction: (work) => {
        transactions += 1;
        return store.sync.transaction(work);
      },
    });
    // More PATCHes read in one turn than a batch holds: the rest go in the next batches, at once.
    const ids = Array.from({ length: 600 }, (_, i) => i + 1);
    const written = ids.map((id) =>
      queue.run(() => {
        insertDealer(id)();
        return id;
      }),
    );
    expect(await Promise.all(written)).toEqual(ids);
    expect(transactions).toBeGreaterThan(1);
    expect(await dealerIds()).toEqual(ids);
  });

  it('waits while the WAL checkpointer holds writes back, then commits everything queued', async () => {
    let writable = false;
    const waiting: Array<() => void> = [];
    const queue = new GroupCommit({
      ...store.sync,
      writable: () => writable,
      whenWritable: (callback) => {
        waiting.push(callback);
      },
    });
    const queued = [1, 2].map((id) => queue.run(() => insertDealer(id)()));
    // A few turns of the event loop: the batch must not have begun.
    for (let turn = 0; turn < 3; turn += 1) await new Promise((resolve) => setImmediate(resolve));
    expect(await dealerIds()).toEqual([]);
    expect(waiting).toHaveLength(1);
    writable = true;
    for (const callback of waiting.splice(0)) callback();
    await Promise.all(queued);
    expect(await dealerIds()).toEqual([1, 2]);
  });
});
