import { armingSettingsPath } from '@chekt-partner/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, patchJson } from '../support/http.js';
import { type ProvisionedPostgres, serveProvisionedPostgres } from '../support/provisioned-postgres.js';
import type { ServerProcess } from '../support/server-process.js';

const DEALER = 79;
const IDLE_SESSION_TIMEOUT_MS = 100;

/**
 * An operator may set idle_session_timeout (PostgreSQL 14+) so that idle connections are closed.
 * PostgreSQL would then end each pool connection left idle that long, and a request that took one
 * just as it was ended got its FATAL (57P05) as a 500. The pool closes its idle connections itself,
 * so its connections turn the timeout off: requests arriving as far apart as the timeout all work.
 */
describe('a PostgreSQL database that closes idle sessions', () => {
  let served: ProvisionedPostgres;
  let server: ServerProcess;
  let token: string;
  let paths: string[];

  beforeAll(async () => {
    served = await serveProvisionedPostgres({
      dealerId: DEALER,
      dealerName: 'Idle-timeout dealer',
      externalSiteIds: ['a', 'b', 'c'],
      databaseDefaults: { idle_session_timeout: String(IDLE_SESSION_TIMEOUT_MS) },
      env: { PG_POOL_SIZE: '4' },
    });
    ({ server, token } = served);
    paths = served.siteIds.map((siteId) => armingSettingsPath(DEALER, siteId));
  }, 60_000);

  afterAll(async () => {
    await served?.stop();
  });

  it('answers requests that come as far apart as the idle timeout, every one', async () => {
    const statuses = new Map<number, number>();
    const until = Date.now() + 4000;
    let type = 1;
    // Bursts about as far apart as the timeout, so that requests keep meeting connections
    // PostgreSQL would be closing at that moment.
    while (Date.now() < until) {
      const burst = paths.flatMap((path) => [
        call(server.url, path, { token }),
        patchJson(server.url, path, token, { security_type: (type++ % 4) + 1 }),
      ]);
      for (const response of await Promise.all(burst))
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      await new Promise((resolve) => setTimeout(resolve, IDLE_SESSION_TIMEOUT_MS - 10 + Math.random() * 20));
    }
    expect([...statuses.keys()]).toEqual([200]);
  });
});
