import type { SecurityType } from '@chekt-partner/contract';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Provisioning } from '../src/provisioning/provisioning.js';
import { isDatabaseUnavailable } from '../src/store/availability.js';
import { listArmingHistory } from '../src/store/repositories/arming-history.js';
import {
  type SecurityTypeChange,
  type SecurityTypeChanges,
  securityTypeChangesFor,
} from '../src/store/repositories/security-type-changes.js';
import { openStore, type Store } from '../src/store/store.js';
import { createTestDatabase, type TestDatabase, testBackend } from './support/database.js';
import { countQueries } from './support/query-count.js';

// Runs on both backends (the Vitest project sets which): the changes of one turn are committed
// together (SQLite: one transaction; PostgreSQL: one statement), and none of that may show.
describe('security-type changes made in the same turn', () => {
  let database: TestDatabase;
  let store: Store;
  let changes: SecurityTypeChanges;

  beforeEach(async () => {
    database = await createTestDatabase();
    store = await openStore(database.url);
    const provisioning = new Provisioning(store.db);
    await provisioning.addDealer(1, 'Dealer 1');
    for (const siteId of [10, 11, 12]) {
      await provisioning.addSite({
        dealerId: 1,
        externalSiteId: `ext-${siteId}`,
        name: `Site ${siteId}`,
        siteId,
      });
    }
    changes = securityTypeChangesFor(store);
  });

  afterEach(async () => {
    await store.close();
    await database.drop();
  });

  const change = (siteId: number, securityType: number, dealerId = 1): SecurityTypeChange => ({
    dealerId,
    siteId,
    securityType: securityType as SecurityType,
    clientId: 'client',
    traceId: `trace-${siteId}-${securityType}`,
    changedAt: '2026-01-01T00:00:00.000Z',
  });

  const chainOf = async (siteId: number) =>
    (await listArmingHistory(store.db, siteId)).map((row) => [row.from_type, row.to_type]);

  it('answers each change with its own site and value', async () => {
    const results = await Promise.all([changes.apply(change(10, 2)), changes.apply(change(11, 3))]);
    expect(results).toEqual([
      { id: 10, external_site_id: 'ext-10', name: 'Site 10', security_type: 2 },
      { id: 11, external_site_id: 'ext-11', name: 'Site 11', security_type: 3 },
    ]);
    expect(await chainOf(10)).toEqual([[1, 2]]);
    expect(await chainOf(11)).toEqual([[1, 3]]);
  });

  it("applies a site's changes in arrival order, each from the one before", async () => {
    const results = await Promise.all([
      changes.apply(change(10, 2)),
      changes.apply(change(11, 4)),
      changes.apply(change(10, 3)),
      changes.apply(change(10, 4)),
    ]);
    expect(results.map((site) => Number(site?.security_type))).toEqual([2, 4, 3, 4]);
    expect(await chainOf(10)).toEqual([
      [1, 2],
      [2, 3],
      [3, 4],
    ]);
    expect(await chainOf(11)).toEqual([[1, 4]]);
  });

  it('reads history ids as the numbers schema.ts says they are, on both backends (bigint on PostgreSQL)', async () => {
    await changes.apply(change(10, 2));
    await changes.apply(change(10, 3));
    const [first, second] = await listArmingHistory(store.db, 10);
    expect([typeof first?.id, typeof second?.id, typeof second?.previous_id]).toEqual([
      'number',
      'number',
      'number',
    ]);
    expect(second?.previous_id).toBe(first?.id);
    const site = await store.db
      .selectFrom('sites')
      .select('last_history_id')
      .where('id', '=', 10)
      .executeTakeFirst();
    expect(site?.last_history_id).toBe(second?.id);
  });

  it("finds nothing for a missing site or another dealer's, and writes nothing for them, beside one it makes", async () => {
    await new Provisioning(store.db).addDealer(2, 'Dealer 2');
    const results = await Promise.all([
      changes.apply(change(99, 2)),
      changes.apply(change(12, 2, 2)),
      changes.apply(change(11, 2)),
    ]);
    expect(results[0]).toBeUndefined();
    expect(results[1]).toBeUndefined();
    expect(results[2]).toMatchObject({ id: 11, security_type: 2 });
    expect(await chainOf(12)).toEqual([]);
  });

  it('fails a change that cannot be made alone: its neighbours are still made', async () => {
    // 5 breaks the column's check constraint: the database refuses it, whichever the backend.
    const outcomes = await Promise.allSettled([
      changes.apply(change(10, 2)),
      changes.apply(change(11, 5)),
      changes.apply(change(12, 3)),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await chainOf(10)).toEqual([[1, 2]]);
    expect(await chainOf(11)).toEqual([]);
    expect(await chainOf(12)).toEqual([[1, 3]]);
  });

  // SQLite's group commit runs on the connection synchronously, not through queryAll; its one
  // transaction per turn is checked in group-commit.test.ts.
  it.runIf(testBackend() === 'postgres')('sends one statement per turn on PostgreSQL', async () => {
    const queries = countQueries(store);
    await Promise.all([10, 11, 12].map((siteId) => changes.apply(change(siteId, 4))));
    expect(queries()).toBe(1);
  });

  // A site locked elsewhere (an operator's psql, a long transaction) holds up its own changes only:
  // the other sites of the same turn are changed at once, not failed after the statement timeout.
  it.runIf(testBackend() === 'postgres')(
    'makes the changes of unlocked sites at once beside a change of a site locked elsewhere',
    () =>
      whileLocked(
        'select id from sites where id = 10 for update',
        { pgStatementTimeoutMs: 1000 },
        async (impatient, release) => {
          const changesOfImpatient = securityTypeChangesFor(impatient);
          const locked = changesOfImpatient.apply(change(10, 4));
          const others = [11, 12].map((siteId) => changesOfImpatient.apply(change(siteId, 4)));
          const lockedOutcome = locked.then(
            () => 'made',
            (error: unknown) => (isDatabaseUnavailable(error) ? 'unavailable' : error),
          );
          const startedAt = Date.now();
          expect(await Promise.all(others)).toMatchObject([{ id: 11 }, { id: 12 }]);
          expect(Date.now() - startedAt).toBeLessThan(1000);
          // It waited on the lock for the statement timeout: a 503, and nothing written.
          expect(await lockedOutcome).toBe('unavailable');
          await release();
          expect(await chainOf(10)).toEqual([]);
          expect(await chainOf(11)).toEqual([[1, 4]]);
          expect(await chainOf(12)).toEqual([[1, 4]]);
        },
      ),
  );

  // Each change waiting on a lock holds a write slot: the PATCHes piling up on one locked site must
  // not take them all, or every other site's PATCH waits for a slot and fails with 503.
  it.runIf(testBackend() === 'postgres')(
    "makes other sites' changes at once while many changes wait on one site locked elsewhere",
    () =>
      // Four connections: two write slots.
      whileLocked(
        'select id from sites where id = 10 for update',
        { pgStatementTimeoutMs: 1000, pgPoolSize: 4 },
        async (impatient, release) => {
          const changesOfImpatient = securityTypeChangesFor(impatient);
          const locked = [2, 3, 4].map((type) =>
            changesOfImpatient.apply(change(10, type)).catch((error: unknown) => error),
          );
          // A turn later, when the changes of site 10 wait on its lock.
          await new Promise((resolve) => setTimeout(resolve, 100));
          const startedAt = Date.now();
          expect(await changesOfImpatient.apply(change(11, 4))).toMatchObject({ id: 11 });
          expect(Date.now() - startedAt).toBeLessThan(500);
          // Those queued behind the first fail with it: a 503 at the statement timeout, not three.
          for (const outcome of await Promise.all(locked)) expect(isDatabaseUnavailable(outcome)).toBe(true);
          expect(Date.now() - startedAt).toBeLessThan(1500);
          await release();
          expect(await chainOf(10)).toEqual([]);
        },
      ),
  );

  // A statement that times out (or a database that cannot be reached) would take as long again for
  // each change retried alone: the whole turn must fail at once, as a 503, with nothing written.
  it.runIf(testBackend() === 'postgres')(
    'fails the whole turn at once when its statement times out, retrying no change alone',
    () =>
      // A table lock, which a statement cannot skip as it skips locked rows.
      whileLocked(
        'lock table sites in exclusive mode',
        { pgStatementTimeoutMs: 300 },
        async (impatient, release) => {
          const statements = countQueries(impatient);
          const changesOfImpatient = securityTypeChangesFor(impatient);
          const outcomes = await Promise.allSettled(
            [10, 11, 12].map((siteId) => changesOfImpatient.apply(change(siteId, 4))),
          );
          for (const outcome of outcomes) {
            expect(outcome.status).toBe('rejected');
            expect(isDatabaseUnavailable((outcome as PromiseRejectedResult).reason)).toBe(true);
          }
          expect(statements()).toBe(1);
          await release();
          for (const siteId of [10, 11, 12]) expect(await chainOf(siteId)).toEqual([]);
        },
      ),
  );

  /**
   * Runs `body` on a store of its own while another connection holds `lock` in an open
   * transaction, as an operator's psql would; `release` rolls that transaction back.
   */
  async function whileLocked(
    lock: string,
    options: Parameters<typeof openStore>[1],
    body: (store: Store, release: () => Promise<void>) => Promise<void>,
  ): Promise<void> {
    const store = await openStore(database.url, options);
    const locker = new pg.Client({ connectionString: database.url });
    await locker.connect();
    try {
      await locker.query('begin');
      await locker.query(lock);
      await body(store, async () => {
        await locker.query('rollback');
      });
    } finally {
      await locker.end();
      await store.close();
    }
  }
});
