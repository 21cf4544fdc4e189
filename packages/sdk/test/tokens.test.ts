import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../server/src/app.js';
import { openStore } from '../../server/src/store/store.js';
import { createTestDatabase, type TestDatabase } from '../../server/test/support/database.js';
import { addClient, provisioning, type TestClient } from '../../server/test/support/provision.js';
import { ChektAuthenticationError, ChektPartnerClient, ChektUnexpectedResponseError } from '../src/index.js';
import {
  DEALER_ID,
  type PartnerApi,
  RequestLog,
  SEED_SITE,
  SITE_ID,
  startPartnerApi,
} from './support/partner-api.js';
import { OK, startScriptedServer } from './support/scripted-server.js';
import { waitUntil } from './support/wait.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function partnerApi(options: { tokenTtlSeconds?: number } = {}): Promise<PartnerApi> {
  const api = await startPartnerApi(options);
  cleanups.push(() => api.close());
  return api;
}

interface RunningApp {
  url: string;
  port: number;
  log: RequestLog;
  close(): Promise<void>;
}

/**
 * The real app on a given database and issuer. Tokens name their issuer, so a server restarted
 * with another ISSUER_URL rejects every token issued before: a real way to get a 401 invalid_token.
 */
async function startApp(database: TestDatabase, issuerUrl: string, port = 0): Promise<RunningApp> {
  const store = await openStore(database.url);
  const app = await buildApp({ config: { tokenTtlSeconds: 3600, issuerUrl }, store });
  const url = await app.listen({ port, host: '127.0.0.1' });
  const running = {
    url,
    port: Number(new URL(url).port),
    log: new RequestLog(app.server),
    close: async () => {
      await app.close();
      await store.close();
    },
  };
  return running;
}

async function seededDatabase(): Promise<{ database: TestDatabase; client: TestClient }> {
  const database = await createTestDatabase();
  cleanups.push(() => database.drop());
  const store = await openStore(database.url);
  await provisioning(store).addDealer(DEALER_ID, 'Example Dealer');
  await provisioning(store).addSite({
    dealerId: DEALER_ID,
    siteId: SITE_ID,
    externalSiteId: '1234567890',
    name: 'Gangnam Headquarters',
  });
  const client = await addClient(store, [DEALER_ID]);
  await store.close();
  return { database, client };
}

describe('tokens', () => {
  it('are fetched on first use and reused while valid', async () => {
    const api = await partnerApi();
    const chekt = new ChektPartnerClient({ ...api.client, baseUrl: api.url });
    expect(api.log.tokenRequests()).toBe(0);
    for (let call = 0; call < 5; call++) await chekt.armingSettings.get(DEALER_ID, SITE_ID);
    expect(api.log.tokenRequests()).toBe(1);
    expect(api.log.apiRequests()).toHaveLength(5);
  });

  it('are fetched with the trace id of the call that needs one: one operation, one id', async () => {
    const api = await partnerApi();
    const chekt = new ChektPartnerClient({ ...api.client, baseUrl: api.url });
    const traceId = 'integrator-trace-1';
    await chekt.armingSettings.get(DEALER_ID, SITE_ID, { traceId });
    const [tokenRequest] = api.log.seen.filter((request) => request.path === '/oauth/token');
    expect(tokenRequest?.traceId).toBe(traceId);
    expect(api.log.apiRequests().map((request) => request.traceId)).toEqual([traceId]);
  });

  it('fail with the trace id of the call that needed them', async () => {
    const api = await partnerApi();
    const chekt = new ChektPartnerClient({ ...api.client, clientSecret: 'wrong', baseUrl: api.url });
    const error = await chekt.armingSettings
      .get(DEALER_ID, SITE_ID, { traceId: 'integrator-trace-2' })
      .catch((e) => e);
    expect(error).toBeInstanceOf(ChektAuthenticationError);
    expect(error.traceId).toBe('integrator-trace-2');
  });

  it('are accepted with expires_in sent as a string of digits, as some servers do', async () => {
    const grant = { access_token: 'string-lifetime', token_type: 'bearer', expires_in: '3600' };
    const scripted = await startScriptedServer([OK], [{ status: 200, body: grant }]);
    cleanups.push(() => scripted.close());
    const chekt = new ChektPartnerClient({ clientId: 'id', clientSecret: 'secret', baseUrl: scripted.url });
    await chekt.armingSettings.get(DEALER_ID, SITE_ID);
    await chekt.armingSettings.get(DEALER_ID, SITE_ID);
    expect(scripted.apiRequests().map((request) => request.authorization)).toEqual([
      'Bearer string-lifetime',
      'Bearer string-lifetime',
    ]);
    expect(scripted.tokenRequests()).toHaveLength(1);
  });

  it.each([
    ['0', 0],
    ['-5', -5],
  ])(
    'with an expires_in of %s are no usable token: the call fails, and sends nothing with it',
    async (_, expiresIn) => {
      const grant = { access_token: 'dead-on-arrival', token_type: 'Bearer', expires_in: expiresIn };
      const scripted = await startScriptedServer([OK], [{ status: 200, body: grant }]);
      cleanups.push(() => scripted.close());
      const chekt = new ChektPartnerClient({ clientId: 'id', clientSecret: 'secret', baseUrl: scripted.url });
      const error = await chekt.armingSettings.get(DEALER_ID, SITE_ID).catch((e) => e);
      expect(error).toBeInstanceOf(ChektUnexpectedResponseError);
      expect(scripted.apiRequests()).toHaveLength(0);
    },
  );

  it.each([
    ['a line break', 'leaked-token\nx'],
    ['a character beyond Latin-1', 'leaked-token\u4e2d'],
  ])(
    'with %s, cannot be sent: refused unsent and unquoted, not retried as a network failure',
    async (_, token) => {
      const grant = { access_token: token, token_type: 'Bearer', expires_in: 3600 };
      const scripted = await startScriptedServer([OK], [{ status: 200, body: grant }]);
      cleanups.push(() => scripted.close());
      const chekt = new ChektPartnerClient({ clientId: 'id', clientSecret: 'secret', baseUrl: scripted.url });
      const error = await chekt.armingSettings.get(DEALER_ID, SITE_ID).catch((e) => e);
      expect(error).toBeInstanceOf(ChektUnexpectedResponseError);
      expect(`${error.message} ${error.stack} ${JSON.stringify(error)}`).not.toContain('leaked-token');
      expect(scripted.apiRequests()).toHaveLength(0);
    },
  );

  it('are fetched once for 20 concurrent calls (single flight)', async () => {
    const api = await partnerApi();
    const chekt = new ChektPartnerClient({ ...api.client, baseUrl: api.url });
    const results = await Promise.all(
      Array.from({ length: 20 }, () => chekt.armingSettings.get(DEALER_ID, SITE_ID)),
    );
    expect(results).toEqual(Array.from({ length: 20 }, () => SEED_SITE));
    expect(api.log.tokenRequests()).toBe(1);
  });

  it('are renewed transparently when they expire (server TTL 2 s)', async () => {
    const api = await partnerApi({ tokenTtlSeconds: 2 });
    const chekt = new ChektPartnerClient({ ...api.client, baseUrl: api.url });
    let calls = 0;
    // Keep calling until the client has had to renew twice; every call must succeed meanwhile.
    await waitUntil(async () => {
      expect(await chekt.armingSettings.get(DEALER_ID, SITE_ID)).toEqual(SEED_SITE);
      calls++;
      return api.log.tokenRequests() >= 3;
    }, 15_000);
    expect(calls).toBeGreaterThan(3);
  });

  /**
   * A client holding a cached token, then the operator changes ISSUER_URL and restarts on the same
   * address: the cached token is now refused.
   */
  async function clientWithInvalidatedToken() {
    const { database, client } = await seededDatabase();
    const before = await startApp(database, 'http://issuer-before.test');
    const chekt = new ChektPartnerClient({ ...client, baseUrl: before.url });
    await chekt.armingSettings.get(DEALER_ID, SITE_ID);
    await before.close();
    const after = await startApp(database, 'http://issuer-after.test', before.port);
    cleanups.push(() => after.close());
    return { chekt, after };
  }

  it('rejected with 401 are replaced once and the call retried once, transparently', async () => {
    const { chekt, after } = await clientWithInvalidatedToken();
    expect(await chekt.armingSettings.get(DEALER_ID, SITE_ID, { traceId: 'after-restart' })).toEqual(
      SEED_SITE,
    );
    expect(after.log.tokenRequests()).toBe(1);
    expect(after.log.apiRequests().map((request) => request.traceId)).toEqual([
      'after-restart',
      'after-restart',
    ]);
  });

  it('rejected by 20 concurrent calls cause one new token, not twenty', async () => {
    const { chekt, after } = await clientWithInvalidatedToken();
    await Promise.all(Array.from({ length: 20 }, () => chekt.armingSettings.get(DEALER_ID, SITE_ID)));
    expect(after.log.tokenRequests()).toBe(1);
  });

  it('refused again after the refresh end the call: one refresh, one retry, never a loop', async () => {
    const { database, client } = await seededDatabase();
    // Tokens come from one server; the API is another that trusts a different issuer.
    const tokenServer = await startApp(database, 'http://issuer-one.test');
    const apiServer = await startApp(database, 'http://issuer-two.test');
    cleanups.push(
      () => tokenServer.close(),
      () => apiServer.close(),
    );
    const chekt = new ChektPartnerClient({
      ...client,
      baseUrl: apiServer.url,
      tokenUrl: `${tokenServer.url}/oauth/token`,
      maxRetries: 5,
    });
    const error = await chekt.armingSettings.get(DEALER_ID, SITE_ID).catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(ChektAuthenticationError);
    expect(error).toMatchObject({ status: 401, code: 'invalid_token' });
    expect(tokenServer.log.tokenRequests()).toBe(2);
    expect(apiServer.log.apiRequests()).toHaveLength(2);
  });

  it('of a revoked client are refused, and the refresh is refused too (invalid_client)', async () => {
    const api = await partnerApi();
    const chekt = new ChektPartnerClient({ ...api.client, baseUrl: api.url });
    await chekt.armingSettings.get(DEALER_ID, SITE_ID);
    await provisioning(api.server.store).revokeClient(api.client.clientId);
    // The server trusts a client's standing for up to CLIENT_STANDING_TTL_MS: poll until it notices.
    let error: unknown;
    await waitUntil(async () => {
      error = await chekt.armingSettings.get(DEALER_ID, SITE_ID).then(
        () => undefined,
        (failure: unknown) => failure,
      );
      return error !== undefined;
    }, 10_000);
    expect(error).toBeInstanceOf(ChektAuthenticationError);
    expect(error).toMatchObject({ status: 401, code: 'invalid_client' });
    // The first token, then exactly one refresh: the one the 401 caused, which the server refused.
    expect(api.log.tokenRequests()).toBe(2);
  });
});
