import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { authenticateBearer, recallCaller } from '../src/auth/bearer.js';
import { ClientDirectory } from '../src/auth/client-directory.js';
import { AccessTokenVerifier, issueAccessToken } from '../src/oauth/access-tokens.js';
import { loadSigningKeys } from '../src/oauth/signing-keys.js';
import { Provisioning } from '../src/provisioning/provisioning.js';
import { openStore, type Store } from '../src/store/store.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';

const TTL_MS = 2000;
const SETTINGS = {
  issuer: 'http://127.0.0.1:1',
  audience: 'http://127.0.0.1:1/partner/v1',
  ttlSeconds: 3600,
};

// Runs on both backends (the Vitest project sets which).
describe('recallCaller: the caller of a known token and standing, without a promise', () => {
  let database: TestDatabase;
  let store: Store;
  let provisioning: Provisioning;
  let now: number;
  let directory: ClientDirectory;
  let verifier: AccessTokenVerifier;
  let clientId: string;
  let header: string;

  beforeEach(async () => {
    database = await createTestDatabase();
    store = await openStore(database.url);
    provisioning = new Provisioning(store.db);
    await provisioning.addDealer(1, 'Dealer 1');
    clientId = (await provisioning.addClient('Partner', [1])).clientId;
    now = 1_000_000;
    directory = new ClientDirectory(store.db, () => now, TTL_MS);
    const keys = await loadSigningKeys(store.db);
    verifier = new AccessTokenVerifier(keys, SETTINGS);
    header = `Bearer ${issueAccessToken(keys, SETTINGS, clientId, ['arming_settings:read'])}`;
  });

  afterEach(async () => {
    await store.close();
    await database.drop();
  });

  it('is undefined until authenticateBearer has verified the token and fetched the standing', async () => {
    expect(recallCaller(header, verifier, directory)).toBeUndefined();
    const caller = await authenticateBearer(header, verifier, directory);
    expect(recallCaller(header, verifier, directory)).toEqual(caller);
    expect(caller).toMatchObject({ clientId, access: { kind: 'granted', dealerIds: new Set([1]) } });
    expect(recallCaller(`${header}x`, verifier, directory)).toBeUndefined();
    expect(recallCaller(undefined, verifier, directory)).toBeUndefined();
  });

  it('is undefined for a revoked client, on every request once the revocation is seen', async () => {
    await authenticateBearer(header, verifier, directory);
    await provisioning.revokeClient(clientId);
    now += TTL_MS;
    expect(recallCaller(header, verifier, directory)).toBeUndefined();
    await expect(authenticateBearer(header, verifier, directory)).rejects.toMatchObject({
      code: 'invalid_token',
    });
    // The revoked standing is now the known one: it must not pass for a caller.
    expect(directory.known(clientId)).toEqual({ status: 'revoked' });
    expect(recallCaller(header, verifier, directory)).toBeUndefined();
  });
});
