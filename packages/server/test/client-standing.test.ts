import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { authenticateBearer, recallCaller } from '../src/auth/bearer.js';
import { CLIENT_STANDING_TTL_MS, ClientDirectory } from '../src/auth/client-directory.js';
import { AccessTokenVerifier, issueAccessToken } from '../src/oauth/access-tokens.js';
import { loadSigningKeys } from '../src/oauth/signing-keys.js';
import { Provisioning } from '../src/provisioning/provisioning.js';
import { openStore, type Store } from '../src/store/store.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';

// The README promises that `client revoke` reaches every running server within 2 s. The directory
// is built below with its own default TTL, the one the server uses, so that this holds it to the
// promise: a TTL passed in would test only itself.
const TTL_MS = 2000;
const SETTINGS = {
  issuer: 'http://127.0.0.1:1',
  audience: 'http://127.0.0.1:1/partner/v1',
  ttlSeconds: 3600,
};

// Runs on both backends (the Vitest project sets which).
describe("a client's standing, cached for a short time, and the callers recalled from it", () => {
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
    directory = new ClientDirectory(store.db, () => now);
  });

  afterEach(async () => {
    await store.close();
    await database.drop();
  });

  describe('ClientDirectory', () => {
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

    it('ages a standing by elapsed time, not by the wall clock, which can step back', async () => {
      const { clientId } = await provisioning.addClient('Partner', 'all');
      // The default clock, with both clocks held still: an NTP correction or a VM resumed from a
      // snapshot sets the time of day back an hour while only 2 s actually pass.
      let elapsedMs = 0;
      let wallClockMs = Date.now();
      vi.spyOn(performance, 'now').mockImplementation(() => elapsedMs);
      vi.spyOn(Date, 'now').mockImplementation(() => wallClockMs);
      try {
        const ownClock = new ClientDirectory(store.db);
        await ownClock.standing(clientId);
        await provisioning.revokeClient(clientId);
        wallClockMs -= 3600_000;
        elapsedMs += CLIENT_STANDING_TTL_MS;
        expect(ownClock.known(clientId)).toBeUndefined();
        expect(await ownClock.standing(clientId)).toEqual({ status: 'revoked' });
      } finally {
        vi.restoreAllMocks();
      }
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

  describe('recallCaller: the caller of a known token and standing, without a promise', () => {
    let verifier: AccessTokenVerifier;
    let clientId: string;
    let header: string;

    beforeEach(async () => {
      clientId = (await provisioning.addClient('Partner', [1])).clientId;
      const keys = await loadSigningKeys(store.db);
      verifier = new AccessTokenVerifier(keys, SETTINGS);
      header = `Bearer ${issueAccessToken(keys, SETTINGS, clientId, ['arming_settings:read'])}`;
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

    it('tells a token of a client this database does not hold from a revoked one', async () => {
      const stranger = `Bearer ${issueAccessToken(await loadSigningKeys(store.db), SETTINGS, 'gone', [])}`;
      await expect(authenticateBearer(stranger, verifier, directory)).rejects.toMatchObject({
        code: 'invalid_token',
        message: 'The client of this token does not exist here',
      });
      expect(recallCaller(stranger, verifier, directory)).toBeUndefined();
    });
  });
});
