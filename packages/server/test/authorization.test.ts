import { armingSettingsPath } from '@chekt-partner/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listArmingHistory } from '../src/store/repositories/arming-history.js';
import { call, errorCodeOf, patchJson } from './support/http.js';
import { type InProcessServer, startInProcessServer } from './support/in-process-server.js';
import { addClient, addSite, fetchToken, provisioning } from './support/provision.js';

const DEALER_A = 100;
const DEALER_B = 200;

describe('dealer scope: default deny, checked once, before existence', () => {
  let server: InProcessServer;
  let siteA: number;
  let siteB: number;
  let tokenA: string;
  let platformToken: string;

  beforeAll(async () => {
    server = await startInProcessServer();
    const p = provisioning(server.store);
    await p.addDealer(DEALER_A, 'Dealer A');
    await p.addDealer(DEALER_B, 'Dealer B');
    siteA = await addSite(server.store, DEALER_A, 'a-1', 1);
    siteB = await addSite(server.store, DEALER_B, 'b-1', 2);
    tokenA = await fetchToken(server.url, await addClient(server.store, [DEALER_A], 'dealer app A'));
    platformToken = await fetchToken(server.url, await addClient(server.store, 'all', 'platform partner'));
  });
  afterAll(() => server.close());

  const siteBState = async () => ({
    row: await server.store.db
      .selectFrom('sites')
      .selectAll()
      .where('id', '=', siteB)
      .executeTakeFirstOrThrow(),
    history: await listArmingHistory(server.store.db, siteB),
  });

  it("a client granted dealer A can neither read nor change dealer B's site (403)", async () => {
    const before = await siteBState();
    const read = await call(server.url, armingSettingsPath(DEALER_B, siteB), { token: tokenA });
    expect(read.status).toBe(403);
    expect(errorCodeOf(read)).toBe('forbidden');
    const write = await patchJson(server.url, armingSettingsPath(DEALER_B, siteB), tokenA, {
      security_type: 4,
    });
    expect(write.status).toBe(403);
    expect(await siteBState()).toEqual(before);
  });

  it('403 for an ungranted dealer whether or not it exists (no existence leak)', async () => {
    for (const dealer of [DEALER_B, 999, 'abc']) {
      for (const method of ['GET', 'PATCH'] as const) {
        const response =
          method === 'GET'
            ? await call(server.url, armingSettingsPath(dealer, 1), { token: tokenA })
            : await patchJson(server.url, armingSettingsPath(dealer, 1), tokenA, { security_type: 9 });
        expect(response.status, `${method} ${dealer}`).toBe(403);
      }
    }
  });

  it("dealer B's site addressed under granted dealer A is a 404, for GET and PATCH", async () => {
    const before = await siteBState();
    const read = await call(server.url, armingSettingsPath(DEALER_A, siteB), { token: tokenA });
    expect(read.status).toBe(404);
    expect(errorCodeOf(read)).toBe('site_not_found');
    const write = await patchJson(server.url, armingSettingsPath(DEALER_A, siteB), tokenA, {
      security_type: 4,
    });
    expect(write.status).toBe(404);
    expect(await siteBState()).toEqual(before);
  });

  it('the granted dealer works, and changes only its own site', async () => {
    const before = await siteBState();
    const write = await patchJson(server.url, armingSettingsPath(DEALER_A, siteA), tokenA, {
      security_type: 3,
    });
    expect(write.status).toBe(200);
    expect(await siteBState()).toEqual(before);
  });

  it('a platform partner (all dealers) reaches both; a missing dealer or site is a 404', async () => {
    expect(
      (await call(server.url, armingSettingsPath(DEALER_A, siteA), { token: platformToken })).status,
    ).toBe(200);
    expect(
      (await call(server.url, armingSettingsPath(DEALER_B, siteB), { token: platformToken })).status,
    ).toBe(200);
    const noDealer = await call(server.url, armingSettingsPath(999, siteA), { token: platformToken });
    expect(noDealer.status).toBe(404);
    expect(errorCodeOf(noDealer)).toBe('dealer_not_found');
    const wrongDealer = await call(server.url, armingSettingsPath(DEALER_B, siteA), { token: platformToken });
    expect(wrongDealer.status).toBe(404);
    expect(errorCodeOf(wrongDealer)).toBe('site_not_found');
  });

  it('a PATCH to a missing dealer, or to a site under another dealer, is the same 404 and changes nothing', async () => {
    const before = await siteBState();
    for (const body of [{ security_type: 3 }, { security_type: 9 }]) {
      const noDealer = await patchJson(server.url, armingSettingsPath(999, siteB), platformToken, body);
      expect(noDealer.status).toBe(404);
      expect(errorCodeOf(noDealer)).toBe('dealer_not_found');
      const wrongDealer = await patchJson(
        server.url,
        armingSettingsPath(DEALER_A, siteB),
        platformToken,
        body,
      );
      expect(wrongDealer.status).toBe(404);
      expect(errorCodeOf(wrongDealer)).toBe('site_not_found');
    }
    expect(await siteBState()).toEqual(before);
  });

  it("a token without the scope is a 403 before any dealer's 404, even for a dealer id that cannot exist", async () => {
    const readOnly = await fetchToken(
      server.url,
      await addClient(server.store, 'all', 'read-only platform'),
      'arming_settings:read',
    );
    for (const dealer of ['abc', '0', '012345', '99999999999', '999', String(DEALER_A)]) {
      const response = await call(
        server.url,
        `/partner/v1/dealers/${dealer}/sites/${siteA}/arming-settings`,
        {
          method: 'PATCH',
          token: readOnly,
          headers: { 'content-type': 'application/json' },
          body: '{"security_type":3}',
        },
      );
      expect([dealer, response.status, errorCodeOf(response)]).toEqual([dealer, 403, 'insufficient_scope']);
    }
  });
});
