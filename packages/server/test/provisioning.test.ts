import SqliteDatabase from 'better-sqlite3';
import type { KyselyPlugin } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Provisioning, ProvisioningError } from '../src/provisioning/provisioning.js';
import { openStore, type Store } from '../src/store/store.js';
import { createTestDatabase, type TestDatabase, testBackend } from './support/database.js';

// SQLite only: the failure is SQLite's (a transaction that has read cannot wait for the write
// lock); PostgreSQL's row locks have no such case.
describe.runIf(testBackend() === 'sqlite')('site add beside a running server (SQLite)', () => {
  let database: TestDatabase;
  let store: Store;
  let server: SqliteDatabase.Database;

  beforeEach(async () => {
    database = await createTestDatabase();
    store = await openStore(database.url);
    await new Provisioning(store.db).addDealer(1, 'Dealer 1');
    server = new SqliteDatabase(database.url.slice('sqlite:'.length));
  });

  afterEach(async () => {
    server.close();
    await store.close();
    await database.drop();
  });

  it('adds the site though the server commits between its reads and its insert', async () => {
    // After each of the command's reads, another connection (the server, say) commits a write.
    let commits = 0;
    const serverCommitsAfterEachRead: KyselyPlugin = {
      transformQuery: ({ node }) => node,
      transformResult: async ({ result }) => {
        commits += 1;
        server
          .prepare('insert into dealers (id, name, created_at) values (?, ?, ?)')
          .run(100 + commits, 'x', 'now');
        return result;
      },
    };
    const provisioning = new Provisioning(store.db.withPlugin(serverCommitsAfterEachRead));
    const site = await provisioning.addSite({ dealerId: 1, externalSiteId: 'ext', name: 'Site' });
    expect(site.id).toBe(1);
    expect(commits).toBeGreaterThanOrEqual(3);
    expect(await store.db.selectFrom('sites').select('name').where('id', '=', 1).executeTakeFirst()).toEqual({
      name: 'Site',
    });
  });
});

// Two commands that check, then insert, at the same moment: the slower one's insert hits the
// constraint, and must be refused as the check would have refused it, with the same code.
describe('two commands adding the same thing at the same moment', () => {
  let database: TestDatabase;
  let store: Store;

  beforeEach(async () => {
    database = await createTestDatabase();
    store = await openStore(database.url);
  });

  afterEach(async () => {
    await store.close();
    await database.drop();
  });

  async function refusalOf(both: Promise<unknown>[]): Promise<unknown> {
    const settled = await Promise.allSettled(both);
    expect(settled.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    const rejected = settled.find((result) => result.status === 'rejected');
    return (rejected as PromiseRejectedResult).reason;
  }

  it('a dealer: dealer_exists', async () => {
    const provisioning = new Provisioning(store.db);
    const refusal = await refusalOf([provisioning.addDealer(5, 'A'), provisioning.addDealer(5, 'B')]);
    expect(refusal).toBeInstanceOf(ProvisioningError);
    expect(refusal).toMatchObject({ code: 'dealer_exists' });
  });

  it('a site by external id: site_exists; by site id: site_id_taken', async () => {
    const provisioning = new Provisioning(store.db);
    await provisioning.addDealer(5, 'A');
    const site = (externalSiteId: string, siteId: number) =>
      provisioning.addSite({ dealerId: 5, externalSiteId, name: 'S', siteId });
    const sameExternalId = await refusalOf([site('ext-1', 10), site('ext-1', 11)]);
    expect(sameExternalId).toBeInstanceOf(ProvisioningError);
    expect(sameExternalId).toMatchObject({ code: 'site_exists' });
    const sameSiteId = await refusalOf([site('ext-2', 20), site('ext-3', 20)]);
    expect(sameSiteId).toBeInstanceOf(ProvisioningError);
    expect(sameSiteId).toMatchObject({ code: 'site_id_taken' });
  });
});
