import { armingSettingsPath, READINESS_PATH } from '@chekt-partner/contract';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresDatabase, postgresAdminUrl, type TestDatabase } from '../support/database.js';
import { call, patchJson } from '../support/http.js';
import { fetchToken, provisionDealer } from '../support/provision.js';
import { type ServerProcess, startServerProcess } from '../support/server-process.js';

const DEALER = 78;

/**
 * A site row locked elsewhere (a long transaction, an operator's psql) makes each PATCH of that
 * site wait on the lock, holding a pool connection, for up to the statement timeout. Those waits
 * must not take every connection: the rest of the API goes on.
 */
describe('a site row locked by another transaction', () => {
  let database: TestDatabase;
  let server: ServerProcess;
  let token: string;
  let locked: string;
  let other: string;
  let lockedId: number;

  beforeAll(async () => {
    database = await createPostgresDatabase(postgresAdminUrl());
    const { client, siteIds } = await provisionDealer(database.url, DEALER, 'Row-lock dealer', [
      'locked',
      'other',
    ]);
    lockedId = siteIds[0] as number;
    locked = armingSettingsPath(DEALER, lockedId);
    other = armingSettingsPath(DEALER, siteIds[1] as number);
    // Two connections: before write slots, two waiting PATCHes took both.
    server = await startServerProcess({
      db: database.url,
      env: { PG_POOL_SIZE: '2', PG_STATEMENT_TIMEOUT_MS: '8000' },
    });
    token = await fetchToken(server.url, client);
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    await database?.drop();
  });

  it('leaves GETs of other sites, tokens and /readyz their connections while PATCHes wait on it', async () => {
    const holder = new pg.Client({ connectionString: database.url });
    await holder.connect();
    try {
      await holder.query('begin');
      await holder.query('select id from sites where id = $1 for update', [lockedId]);
      // PATCHes of the locked site, each in a turn of its own, so each is a statement of its own.
      const patches = [];
      for (const type of [2, 3, 4] as const) {
        patches.push(patchJson(server.url, locked, token, { security_type: type }));
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const startedAt = Date.now();
      const got = await call(server.url, other, { token });
      const ready = await call(server.url, READINESS_PATH);
      expect(got.status).toBe(200);
      expect(ready.status).toBe(200);
      // Well within the pool's 2 s wait for a connection, which is what used to fail them.
      expect(Date.now() - startedAt).toBeLessThan(1500);
      await holder.query('commit');
      const statuses = (await Promise.all(patches)).map((response) => response.status);
      // The first waited on the lock and went through; the others waited for a write slot, and
      // each either got one once the lock was gone or gave up after 2 s with a 503.
      expect(statuses[0]).toBe(200);
      for (const status of statuses) expect([200, 503]).toContain(status);
    } finally {
      await holder.end();
    }
  });
});
