import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findSite } from '../src/store/repositories/sites.js';
import { openStore, type Store } from '../src/store/store.js';
import { GroupCommit } from '../src/store/write-queue.js';
import { createTestDatabase, type TestDatabase, testBackend } from './support/database.js';

// Group commit is how SQLite writes; PostgreSQL writes each change as one statement instead
// (security-type-changes.ts), which the arming and scale-out tests cover there.
describe.skipIf(testBackend() !== 'sqlite')('write queue (group commit on SQLite)', () => {
  let database: TestDatabase;
  let store: Store;

  beforeEach(async () => {
    database = await createTestDatabase();
    store = await openStore(database.url);
  });

  afterEach(async () => {
    await store.close();
    await database.drop();
  });

  const insertDealer = (id: number) => (trx: Store['db']) =>
    trx
      .insertInto('dealers')
      .values({ id, name: `Dealer ${id}`, created_at: '2026-01-01T00:00:00Z' })
      .execute();

  const dealerIds = async () =>
    (await store.db.selectFrom('dealers').select('id').orderBy('id').execute()).map((row) => Number(row.id));

  it('commits concurrent writes and resolves each with its own result', async () => {
    const queue = new GroupCommit(store.db);
    const results = await Promise.all(
      [1, 2, 3].map((id) =>
        queue.run(async (trx) => {
          await insertDealer(id)(trx);
          return id;
        }),
      ),
    );
    expect(results).toEqual([1, 2, 3]);
    expect(await dealerIds()).toEqual([1, 2, 3]);
  });

  it('rolls back a failing write alone: its partial writes vanish, its neighbours commit', async () => {
    const queue = new GroupCommit(store.db);
    const outcomes = await Promise.allSettled([
      queue.run(insertDealer(1)),
      queue.run(async (trx) => {
        await insertDealer(2)(trx);
        throw new Error('refused after writing');
      }),
      queue.run(insertDealer(3)),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await dealerIds()).toEqual([1, 3]);
  });

  it('keeps arrival order: of two writes of the same key in one batch, the second one fails', async () => {
    const queue = new GroupCommit(store.db);
    const outcomes = await Promise.allSettled([queue.run(insertDealer(5)), queue.run(insertDealer(5))]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected']);
    expect(await dealerIds()).toEqual([5]);
  });

  it('never shows a reader a write that is not committed: a read inside a batch waits for its end', async () => {
    await insertDealer(1)(store.db);
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
    const queue = new GroupCommit(store.db);
    let readDuringBatch: Promise<unknown> | undefined;
    const refused = queue.run(async (trx) => {
      await trx.updateTable('sites').set({ security_type: 4 }).where('id', '=', 10).execute();
      // The batch's transaction is open and holds the 4, which is about to be rolled back.
      readDuringBatch = findSite(store, 1, 10);
      throw new Error('refused after writing');
    });
    await expect(refused).rejects.toThrow('refused after writing');
    expect(await readDuringBatch).toMatchObject({ id: 10, security_type: 1 });
  });
});
