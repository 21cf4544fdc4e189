import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type SqliteStore } from '../src/store/store.js';
import type { CheckpointResult, WalCheckpointer } from '../src/store/wal-checkpointer.js';
import { createTestDatabase, type TestDatabase, testBackend } from './support/database.js';

// Checkpoints are SQLite's: PostgreSQL runs its own.
describe.skipIf(testBackend() !== 'sqlite')('WAL checkpoints on their own thread (SQLite)', () => {
  let database: TestDatabase;
  let store: SqliteStore;
  let checkpointer: WalCheckpointer;

  beforeEach(async () => {
    database = await createTestDatabase();
    const opened = await openStore(database.url, { backgroundCheckpoints: true });
    if (opened.dialect !== 'sqlite' || !opened.checkpointer)
      throw new Error('expected a checkpointing SQLite store');
    store = opened;
    checkpointer = opened.checkpointer;
  });

  afterEach(async () => {
    await store.close();
    await database.drop();
  });

  const autocheckpoint = async () => (await sql.raw('pragma wal_autocheckpoint').execute(store.db)).rows[0];

  const nextCheckpoint = (accept: (result: CheckpointResult) => boolean) =>
    new Promise<CheckpointResult>((resolve) => {
      const stop = checkpointer.onCheckpoint((result) => {
        if (!accept(result)) return;
        stop();
        resolve(result);
      });
    });

  it('leaves checkpoints to the thread: the commits of the event loop never run one', async () => {
    expect(await autocheckpoint()).toEqual({ wal_autocheckpoint: 0 });
  });

  it('copies every committed page back into the database file', async () => {
    for (let id = 1; id <= 50; id += 1) {
      await store.db
        .insertInto('dealers')
        .values({ id, name: `Dealer ${id}`, created_at: 'x' })
        .execute();
    }
    // The first checkpoint from now on runs after those commits: all their frames must be copied.
    const result = await nextCheckpoint(() => true);
    expect(result.log).toBeGreaterThan(0);
    expect(result.checkpointed).toBe(result.log);
  });

  it('hands checkpoints back to the connection if the thread stops', async () => {
    // biome-ignore lint/complexity/useLiteralKeys: private on purpose; the test stops the thread
    await checkpointer['worker'].terminate();
    await expect.poll(autocheckpoint).toEqual({ wal_autocheckpoint: 1000 });
  });
});
