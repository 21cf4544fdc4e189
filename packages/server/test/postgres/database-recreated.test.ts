import { armingSettingsPath, READINESS_PATH } from '@chekt-partner/contract';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/store.js';
import { createPostgresDatabase, postgresAdminUrl, type TestDatabase } from '../support/database.js';
import { call, errorCodeOf } from '../support/http.js';
import { fetchToken, provisionDealer } from '../support/provision.js';
import { type ServerProcess, startServerProcess } from '../support/server-process.js';

const DEALER = 83;

/**
 * The database dropped and created again under a running server, as a restore from a dump does:
 * while it is gone, and while it is there but empty, requests are 503 with Retry-After (the
 * operator is mending it) and /readyz says not ready; once it has its tables again, ready.
 */
describe('a database dropped and created again under a running server', () => {
  let database: TestDatabase;
  let server: ServerProcess;
  let token: string;
  let path: string;

  beforeAll(async () => {
    database = await createPostgresDatabase(postgresAdminUrl());
    const { client, siteIds } = await provisionDealer(database.url, DEALER, 'Recreated dealer', [
      'recreated',
    ]);
    path = armingSettingsPath(DEALER, siteIds[0] as number);
    server = await startServerProcess({ db: database.url });
    token = await fetchToken(server.url, client);
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    await database?.drop();
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
