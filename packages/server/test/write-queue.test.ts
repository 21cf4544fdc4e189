import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../src/store/store.js';
import { writeQueueFor } from '../src/store/write-queue.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';

describe('write queue (group commit on SQLite)', () => {
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
    const queue = writeQueueFor(store);
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
    const queue = writeQueueFor(store);
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
    const queue = writeQueueFor(store);
    const outcomes = await Promise.allSettled([queue.run(insertDealer(5)), queue.run(insertDealer(5))]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected']);
    expect(await dealerIds()).toEqual([5]);
  });
});
