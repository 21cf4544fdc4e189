import { CompiledQuery } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/store.js';
import {
  createPostgresDatabase,
  postgresAdminUrl,
  setDatabaseDefault,
  type TestDatabase,
} from '../support/database.js';

const SYNCHRONOUS_COMMIT = CompiledQuery.raw(
  "select current_setting('synchronous_commit') as synchronous_commit",
) as CompiledQuery<{ synchronous_commit: string }>;

/**
 * A 200 means the change survives a crash of PostgreSQL, whatever the database's or role's own
 * synchronous_commit: `off` would let PostgreSQL answer a commit before its WAL is on disk.
 */
describe('commits on a PostgreSQL whose synchronous_commit is off', () => {
  let database: TestDatabase;
  let store: Store;

  beforeAll(async () => {
    database = await createPostgresDatabase(postgresAdminUrl());
    await setDatabaseDefault(database.url, 'synchronous_commit', 'off');
    store = await openStore(database.url);
  });

  afterAll(async () => {
    await store?.close();
    await database?.drop();
  });

  const setting = async () => (await store.queryFirst(SYNCHRONOUS_COMMIT))?.synchronous_commit;

  it('wait for the WAL to reach the disk on every connection of the pool', async () => {
    // Several at once, so that the pool opens several connections.
    const settings = await Promise.all(Array.from({ length: 5 }, setting));
    expect(settings).toEqual(['on', 'on', 'on', 'on', 'on']);
  });
});
