import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Provisioning } from '../src/provisioning/provisioning.js';
import { findSite } from '../src/store/repositories/sites.js';
import { openStore, type Store } from '../src/store/store.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { countQueries } from './support/query-count.js';

// Runs on both backends (the Vitest project sets which).
describe('site lookups: those of one turn of the event loop share one query', () => {
  let database: TestDatabase;
  let store: Store;
  let queries: () => number;

  beforeEach(async () => {
    database = await createTestDatabase();
    store = await openStore(database.url);
    const provisioning = new Provisioning(store.db);
    await provisioning.addDealer(1, 'Dealer 1');
    await provisioning.addDealer(2, 'Dealer 2');
    await provisioning.addSite({ dealerId: 1, externalSiteId: 'a', name: 'Site A', siteId: 10 });
    await provisioning.addSite({ dealerId: 1, externalSiteId: 'b', name: 'Site B', siteId: 11 });
    await provisioning.addSite({ dealerId: 2, externalSiteId: 'c', name: 'Site C', siteId: 20 });
    queries = countQueries(store);
  });

  afterEach(async () => {
    await store.close();
    await database.drop();
  });

  it('answers each lookup with its own site, in one query', async () => {
    const [a, b, c, repeated] = await Promise.all([
      findSite(store, 1, 10),
      findSite(store, 1, 11),
      findSite(store, 2, 20),
      findSite(store, 1, 10),
    ]);
    expect(a).toMatchObject({ id: 10, name: 'Site A', external_site_id: 'a' });
    expect(b).toMatchObject({ id: 11, name: 'Site B' });
    expect(c).toMatchObject({ id: 20, name: 'Site C' });
    expect(repeated).toEqual(a);
    expect(Object.keys(a ?? {}).sort()).toEqual(['external_site_id', 'id', 'name', 'security_type']);
    expect(queries()).toBe(1);
  });

  it('finds nothing for a site of another dealer or a site that does not exist, beside ones it finds', async () => {
    const [otherDealers, missing, found] = await Promise.all([
      findSite(store, 1, 20),
      findSite(store, 1, 99),
      findSite(store, 2, 20),
    ]);
    expect(otherDealers).toBeUndefined();
    expect(missing).toBeUndefined();
    expect(found).toMatchObject({ id: 20 });
    expect(queries()).toBe(1);
  });

  it("never reads another dealer's site: the dealer is in the query, not checked after it", async () => {
    const rowsRead: unknown[] = [];
    const queryAll = store.queryAll.bind(store);
    store.queryAll = async (query) => {
      const rows = await queryAll(query);
      rowsRead.push(...rows);
      return rows;
    };
    expect(await Promise.all([findSite(store, 1, 20), findSite(store, 2, 10)])).toEqual([
      undefined,
      undefined,
    ]);
    expect(rowsRead).toEqual([]);
  });

  it('reads the latest committed row each time: no cache between turns', async () => {
    expect(await findSite(store, 1, 10)).toMatchObject({ security_type: 1 });
    await store.db.updateTable('sites').set({ security_type: 4 }).where('id', '=', 10).execute();
    expect(await findSite(store, 1, 10)).toMatchObject({ security_type: 4 });
    expect(queries()).toBe(2);
  });
});
