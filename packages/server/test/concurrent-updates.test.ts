import { armingSettingsPath } from '@chekt-partner/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listArmingHistory } from '../src/store/repositories/arming-history.js';
import { openStore } from '../src/store/store.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { addClient, addSite, fetchToken, provisioning } from './support/provision.js';
import { type ServerProcess, startServerProcess } from './support/server-process.js';

// Many PATCHes in flight at once, against the production build: on SQLite they are committed in
// groups (one transaction, one fsync), and none of that may show in what the API promises.
const DEALER = 7;
const SITES = 5;
const REQUESTS = 300;

describe('concurrent PATCHes (group commit)', () => {
  let database: TestDatabase;
  let server: ServerProcess;
  let siteIds: number[];
  let token: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    const store = await openStore(database.url);
    try {
      await provisioning(store).addDealer(DEALER, 'Concurrent Dealer');
      siteIds = [];
      for (let i = 0; i < SITES; i += 1) siteIds.push(await addSite(store, DEALER, `ext-${i}`));
      const client = await addClient(store, [DEALER]);
      server = await startServerProcess({ db: database.url });
      token = await fetchToken(server.url, client);
    } finally {
      await store.close();
    }
  });

  afterAll(async () => {
    await server?.stop();
    await database?.drop();
  });

  it('answers every one 200 with its own value and records exactly one history row per 200', async () => {
    const requests = Array.from({ length: REQUESTS }, (_, i) => ({
      siteId: siteIds[i % SITES] as number,
      securityType: 1 + ((i * 7) % 4),
    }));
    const responses = await Promise.all(
      requests.map(async ({ siteId, securityType }) => {
        const response = await fetch(`${server.url}${armingSettingsPath(DEALER, siteId)}`, {
          method: 'PATCH',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ security_type: securityType }),
        });
        return { status: response.status, body: (await response.json()) as { security_type: number } };
      }),
    );
    responses.forEach((response, i) => {
      expect(response.status).toBe(200);
      expect(response.body.security_type).toBe(requests[i]?.securityType);
    });

    // Read back after the server has stopped: what a 200 promised must be on disk.
    await server.stop();
    const store = await openStore(database.url);
    try {
      let rows = 0;
      for (const siteId of siteIds) {
        const history = await listArmingHistory(store.db, siteId);
        rows += history.length;
        // Each change starts from the value the previous one left: the writes were serialized.
        for (let i = 1; i < history.length; i += 1) {
          expect(history[i]?.from_type).toBe(history[i - 1]?.to_type);
        }
        const stored = await store.db
          .selectFrom('sites')
          .select('security_type')
          .where('id', '=', siteId)
          .executeTakeFirstOrThrow();
        expect(Number(stored.security_type)).toBe(Number(history.at(-1)?.to_type));
      }
      expect(rows).toBe(responses.filter((response) => response.status === 200).length);
      expect(rows).toBe(REQUESTS);
    } finally {
      await store.close();
    }
  });
});
