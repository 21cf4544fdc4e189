import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Provisioning } from '../src/provisioning/provisioning.js';
import { findClientBatched } from '../src/store/repositories/clients.js';
import { openStore, type Store } from '../src/store/store.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { countQueries } from './support/query-count.js';

// Runs on both backends (the Vitest project sets which).
describe("the token endpoint's client lookups: concurrent ones share one query, none is cached", () => {
  let database: TestDatabase;
  let store: Store;
  let queries: () => number;
  let first: string;
  let second: string;

  beforeEach(async () => {
    database = await createTestDatabase();
    store = await openStore(database.url);
    const provisioning = new Provisioning(store.db);
    await provisioning.addDealer(1, 'Dealer 1');
    first = (await provisioning.addClient('First', 'all')).clientId;
    second = (await provisioning.addClient('Second', [1])).clientId;
    queries = countQueries(store);
  });

  afterEach(async () => {
    await store.close();
    await database.drop();
  });

  it('answers each lookup with its own client, or nothing for an unknown id, in one query', async () => {
    const [a, b, unknown, quoted] = await Promise.all([
      findClientBatched(store, first),
      findClientBatched(store, second),
      findClientBatched(store, 'no-such-client'),
      findClientBatched(store, '"],[1'),
    ]);
    expect(a).toMatchObject({ id: first, name: 'First', all_dealers: 1, revoked_at: null });
    expect(b).toMatchObject({ id: second, name: 'Second', all_dealers: 0 });
    expect(unknown).toBeUndefined();
    expect(quoted).toBeUndefined();
    expect(queries()).toBe(1);
  });

  it('sees a revocation at once', async () => {
    expect(await findClientBatched(store, first)).toMatchObject({ revoked_at: null });
    await new Provisioning(store.db).revokeClient(first);
    expect((await findClientBatched(store, first))?.revoked_at).not.toBeNull();
    expect(queries()).toBe(2);
  });
});
