import { armingSettingsPath, READINESS_PATH } from '@chekt-partner/contract';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestDatabase } from '../support/database.js';
import { call, patchJson } from '../support/http.js';
import { type ProvisionedPostgres, serveProvisionedPostgres } from '../support/provisioned-postgres.js';
import type { ServerProcess } from '../support/server-process.js';

const DEALER = 78;

/**
 * A site row locked elsewhere (a long transaction, an operator's psql) makes each PATCH of that
 * site wait on the lock, holding a pool connection, for up to the statement timeout. Those waits
 * must not take every connection: the rest of the API goes on.
 */
describe('a site row locked by another transaction', () => {
  let served: ProvisionedPostgres;
  let database: TestDatabase;
  let server: ServerProcess;
  let token: string;
  let locked: string;
  let other: string;
  let lockedId: number;

  beforeAll(async () => {
    served = await serveProvisionedPostgres({
      dealerId: DEALER,
      dealerName: 'Row-lock dealer',
      externalSiteIds: ['locked', 'other'],
      // Two connections: before write slots, two waiting PATCHes took both.
      env: { PG_POOL_SIZE: '2', PG_STATEMENT_TIMEOUT_MS: '8000' },
    });
    ({ database, server, token } = served);
    lockedId = served.siteIds[0] as number;
    locked = armingSettingsPath(DEALER, lockedId);
    other = armingSettingsPath(DEALER, served.siteIds[1] as number);
  }, 60_000);

  afterAll(async () => {
    await served?.stop();
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

  it('leaves PATCHes of other sites a connection while a PATCH of it waits', async () => {
    const holder = new pg.Client({ connectionString: database.url });
    await holder.connect();
    try {
      await holder.query('begin');
      await holder.query('select id from sites where id = $1 for update', [lockedId]);
      const waiting = patchJson(server.url, locked, token, { security_type: 2 });
      await new Promise((resolve) => setTimeout(resolve, 200));
      const startedAt = Date.now();
      const patched = await patchJson(server.url, other, token, { security_type: 3 });
      expect(patched.status).toBe(200);
      // Not after the 2 s wait for a write slot that the waiting PATCH held.
      expect(Date.now() - startedAt).toBeLessThan(1500);
      await holder.query('commit');
      expect((await waiting).status).toBe(200);
    } finally {
      await holder.end();
    }
  });
});

/**
 * An operator may set lock_timeout on the database (a common guard against lock queues): a PATCH
 * of a site locked elsewhere then fails on PostgreSQL's lock_not_available before the statement
 * timeout. It is the same locked row, and the same 503, as when the statement timeout ends the wait.
 */
describe('a site row locked by another transaction, on a database with lock_timeout set', () => {
  let served: ProvisionedPostgres;
  let database: TestDatabase;
  let server: ServerProcess;
  let token: string;
  let lockedId: number;

  beforeAll(async () => {
    served = await serveProvisionedPostgres({
      dealerId: DEALER,
      dealerName: 'Lock-timeout dealer',
      externalSiteIds: ['locked'],
      databaseDefaults: { lock_timeout: "'300ms'" },
    });
    ({ database, server, token } = served);
    lockedId = served.siteIds[0] as number;
  }, 60_000);

  afterAll(async () => {
    await served?.stop();
  });

  it('is a 503 with Retry-After, not a 500, and changes nothing', async () => {
    const path = armingSettingsPath(DEALER, lockedId);
    const holder = new pg.Client({ connectionString: database.url });
    await holder.connect();
    try {
      await holder.query('begin');
      await holder.query('select id from sites where id = $1 for update', [lockedId]);
      const patched = await patchJson(server.url, path, token, { security_type: 3 });
      expect(patched.status).toBe(503);
      expect(patched.headers.get('retry-after')).not.toBeNull();
      await holder.query('commit');
      const got = await call(server.url, path, { token });
      expect((got.body as { security_type: number }).security_type).toBe(1);
    } finally {
      await holder.end();
    }
  });
});
