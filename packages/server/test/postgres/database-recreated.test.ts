import { armingSettingsPath, READINESS_PATH } from '@chekt-partner/contract';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/store.js';
import { postgresAdminUrl, type TestDatabase } from '../support/database.js';
import { call, errorCodeOf } from '../support/http.js';
import { type ProvisionedPostgres, serveProvisionedPostgres } from '../support/provisioned-postgres.js';
import type { ServerProcess } from '../support/server-process.js';

const DEALER = 83;

/**
 * The database dropped and created again under a running server, as a restore from a dump does:
 * while it is gone, and while it is there but empty, requests are 503 with Retry-After (the
 * operator is mending it) and /readyz says not ready; once it has its tables again, ready.
 */
describe('a database dropped and created again under a running server', () => {
  let served: ProvisionedPostgres;
  let database: TestDatabase;
  let server: ServerProcess;
  let token: string;
  let path: string;

  beforeAll(async () => {
    served = await serveProvisionedPostgres({
      dealerId: DEALER,
      dealerName: 'Recreated dealer',
      externalSiteIds: ['recreated'],
    });
    ({ database, server, token } = served);
    path = armingSettingsPath(DEALER, served.siteIds[0] as number);
  }, 60_000);

  afterAll(async () => {
    await served?.stop();
  });

  const asAdmin = async (statement: string) => {
    const admin = new pg.Client({ connectionString: postgresAdminUrl() });
    await admin.connect();
    try {
      await admin.query(statement);
    } finally {
      await admin.end();
    }
  };

  const outcome = async () => {
    const [got, ready] = await Promise.all([
      call(server.url, path, { token }),
      call(server.url, READINESS_PATH),
    ]);
    return {
      get: [got.status, errorCodeOf(got), got.headers.get('retry-after')],
      ready: ready.status,
    };
  };

  it('is a 503 and not ready while it is gone or empty, and ready again once migrated', async () => {
    expect(await outcome()).toEqual({ get: [200, undefined, null], ready: 200 });
    const name = new URL(database.url).pathname.slice(1);
    await asAdmin(`drop database ${name} with (force)`);
    expect(await outcome()).toEqual({ get: [503, 'service_unavailable', '2'], ready: 503 });
    await asAdmin(`create database ${name}`);
    expect(await outcome()).toEqual({ get: [503, 'service_unavailable', '2'], ready: 503 });
    // The restore brings the tables back (here: a migration, as any chekt-partner command runs).
    await (await openStore(database.url)).close();
    expect((await outcome()).ready).toBe(200);
  });
});
