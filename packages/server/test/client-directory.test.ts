import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClientDirectory } from '../src/auth/client-directory.js';
import { Provisioning } from '../src/provisioning/provisioning.js';
import { openStore, type Store } from '../src/store/store.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';

const TTL_MS = 2000;

// Runs on both backends (the Vitest project sets which).
describe('ClientDirectory: a client standing, cached for a short time', () => {
  let database: TestDatabase;
  let store: Store;
  let provisioning: Provisioning;
  let now: number;
  let directory: ClientDirectory;

  beforeEach(async () => {
    database = await createTestDatabase();
    store = await openStore(database.url);
    provisioning = new Provisioning(store.db);
    await provisioning.addDealer(1, 'Dealer 1');
    now = 1_000_000;
    directory = new ClientDirectory(store.db, () => now, TTL_MS);
  });

  afterEach(async () => {
    await store.close();
    await database.drop();
  });

  it('knows a standing only once its lookup has settled, and only while it is fresh', async () => {
    const { clientId } = await provisioning.addClient('Partner', [1]);
    expect(directory.known(clientId)).toBeUndefined();
    const pending = directory.standing(clientId);
    expect(directory.known(clientId)).toBeUndefined();
    const standing = await pending;
    expect(standing).toEqual({ status: 'active', access: { kind: 'granted', dealerIds: new Set([1]) } });
    expect(directory.known(clientId)).toBe(standing);
    now += TTL_MS - 1;
    expect(directory.known(clientId)).toBe(standing);
    now += 1;
    expect(directory.known(clientId)).toBeUndefined();
  });

  it('sees a revocation once the cached standing is stale', async () => {
    const { clientId } = await provisioning.addClient('Partner', 'all');
    await directory.standing(clientId);
    await provisioning.revokeClient(clientId);
    expect(directory.known(clientId)).toMatchObject({ status: 'active' });
    now += TTL_MS;
    expect(directory.known(clientId)).toBeUndefined();
    expect(await directory.standing(clientId)).toEqual({ status: 'revoked' });
    expect(directory.known(clientId)).toEqual({ status: 'revoked' });
  });

  it('remembers no failed lookup', async () => {
    const { clientId } = await provisioning.addClient('Partner', 'all');
    await store.close();
    const failed = directory.standing(clientId);
    await expect(failed).rejects.toThrow();
    expect(directory.known(clientId)).toBeUndefined();
    // The next call looks again instead of replaying the failure.
    const again = directory.standing(clientId);
    expect(again).not.toBe(failed);
    await expect(again).rejects.toThrow();
  });
});
