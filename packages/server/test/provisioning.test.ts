import SqliteDatabase from 'better-sqlite3';
import type { KyselyPlugin } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Provisioning } from '../src/provisioning/provisioning.js';
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
