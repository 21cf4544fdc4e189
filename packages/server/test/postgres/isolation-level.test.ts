import { armingSettingsPath } from '@chekt-partner/contract';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, patchJson } from '../support/http.js';
import { type ProvisionedPostgres, serveProvisionedPostgres } from '../support/provisioned-postgres.js';
import type { ServerProcess } from '../support/server-process.js';

const DEALER = 80;
const PATCHES = 300;

/**
 * The writes rely on READ COMMITTED: a PATCH that waits on a site row another PATCH holds reads
 * the row as that one committed it, and goes on from there. A database or role whose
 * default_transaction_isolation is stricter (set for other work on it) would make that PATCH fail
 * instead ("could not serialize access due to concurrent update"): the servers' connections use
 * READ COMMITTED whatever the default.
 */
describe('a PostgreSQL database whose default isolation is repeatable read', () => {
  let served: ProvisionedPostgres;
  let server: ServerProcess;
  let token: string;
  let path: string;

  beforeAll(async () => {
    served = await serveProvisionedPostgres({
      dealerId: DEALER,
      dealerName: 'Isolation dealer',
      externalSiteIds: ['one'],
      databaseDefaults: { default_transaction_isolation: "'repeatable read'" },
    });
    ({ server, token } = served);
    path = armingSettingsPath(DEALER, served.siteIds[0] as number);
  }, 60_000);

  afterAll(async () => {
    await served?.stop();
  });

  it(`${PATCHES} concurrent PATCHes of one site all succeed, and each is in its history`, async () => {
    const responses = await Promise.all(
      Array.from({ length: PATCHES }, (_, index) =>
        patchJson(server.url, path, token, { security_type: (index % 4) + 1 }),
      ),
    );
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status !== 200)).toEqual([]);
    const last = await call(server.url, path, { token });
    expect(last.status).toBe(200);
    const reader = new pg.Client({ connectionString: served.database.url });
    await reader.connect();
    try {
      const { rows } = await reader.query('select count(*)::integer as count from arming_history');
      expect(rows[0].count).toBe(PATCHES);
    } finally {
      await reader.end();
    }
  });
});
