import { armingSettingsPath } from '@chekt-partner/contract';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createPostgresDatabase,
  postgresAdminUrl,
  setDatabaseDefault,
  type TestDatabase,
} from '../support/database.js';
import { call, patchJson } from '../support/http.js';
import { fetchToken, provisionDealer } from '../support/provision.js';
import { type ServerProcess, startServerProcess } from '../support/server-process.js';

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
  let database: TestDatabase;
  let server: ServerProcess;
  let token: string;
  let path: string;

  beforeAll(async () => {
    database = await createPostgresDatabase(postgresAdminUrl());
    const { client, siteIds } = await provisionDealer(database.url, DEALER, 'Isolation dealer', ['one']);
    path = armingSettingsPath(DEALER, siteIds[0] as number);
    await setDatabaseDefault(database.url, 'default_transaction_isolation', "'repeatable read'");
    server = await startServerProcess({ db: database.url });
    token = await fetchToken(server.url, client);
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    await database?.drop();
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
    const reader = new pg.Client({ connectionString: database.url });
    await reader.connect();
    try {
      const { rows } = await reader.query('select count(*)::integer as count from arming_history');
      expect(rows[0].count).toBe(PATCHES);
    } finally {
      await reader.end();
    }
  });
});
