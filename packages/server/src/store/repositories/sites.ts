import DataLoader from 'dataloader';
import { type Kysely, type Selectable, sql } from 'kysely';
import { reusableQuery } from '../reusable-query.js';
import type { Database, SitesTable } from '../schema.js';
import type { Store } from '../store.js';

export type SiteRow = Selectable<SitesTable>;
export type SiteSummary = Pick<SiteRow, 'id' | 'external_site_id' | 'name' | 'security_type'>;

interface SiteKey extends Record<string, unknown> {
  siteId: number;
  dealerId: number;
}

// The site a SQLite PATCH is about to change, with the head of its history chain; the dealer is
// part of the WHERE, so a site of another dealer is simply not found. Compiled once
// (reusableQuery), not per request. GET and PATCH locate sites with findSite below.
export const siteForChange = reusableQuery(['siteId', 'dealerId'], (db: Kysely<Database>, p: SiteKey) =>
  db
    .selectFrom('sites')
    .select(['id', 'external_site_id', 'name', 'security_type', 'last_history_id'])
    .where('id', '=', p.siteId)
    .where('dealer_id', '=', p.dealerId),
);

/**
 * The site, if the dealer has it. Lookups that arrive in one turn of the event loop share one
 * query (DataLoader, its batch run after the turn's I/O): on PostgreSQL a round trip per request
 * cost about as much CPU as the rest of a GET, and on both backends the requests of a turn then go
 * through each step together, which keeps the CPU's caches warm. No cache: each lookup reads the
 * latest committed row, so a GET sees every PATCH answered before it arrived.
 */
export async function findSite(
  store: Store,
  dealerId: number,
  siteId: number,
): Promise<SiteSummary | undefined> {
  const site = await siteLoaderOf(store).load(siteId);
  if (!site || Number(site.dealer_id) !== dealerId) return undefined;
  return {
    id: site.id,
    external_site_id: site.external_site_id,
    name: site.name,
    security_type: site.security_type,
  };
}

type LocatedSite = SiteSummary & Pick<SiteRow, 'dealer_id'>;

const LOCATED_SITE_COLUMNS = ['id', 'dealer_id', 'external_site_id', 'name', 'security_type'] as const;

// PostgreSQL binds the ids as one array; SQLite, which has no array type, as one JSON array.
const sitesByIdsOnPostgres = reusableQuery(['siteIds'], (db: Kysely<Database>, p: { siteIds: number[] }) =>
  db.selectFrom('sites').select(LOCATED_SITE_COLUMNS).where(sql<boolean>`id = any(${p.siteIds})`),
);

const sitesByIdsOnSqlite = reusableQuery(['siteIds'], (db: Kysely<Database>, p: { siteIds: string }) =>
  db
    .selectFrom('sites')
    .select(LOCATED_SITE_COLUMNS)
    .where(sql<boolean>`id in (select value from json_each(${p.siteIds}))`),
);

function sitesByIds(store: Store, siteIds: number[]) {
  if (store.dialect === 'postgres') return sitesByIdsOnPostgres(store.db, { siteIds });
  return sitesByIdsOnSqlite(store.db, { siteIds: JSON.stringify(siteIds) });
}

const MAX_SITES_PER_QUERY = 500;
const siteLoaders = new WeakMap<Store, DataLoader<number, LocatedSite | undefined>>();

function siteLoaderOf(store: Store): DataLoader<number, LocatedSite | undefined> {
  let loader = siteLoaders.get(store);
  if (!loader) {
    loader = new DataLoader(
      async (siteIds) => {
        const rows = await store.queryAll(sitesByIds(store, [...siteIds]));
        const byId = new Map(rows.map((row) => [Number(row.id), row]));
        return siteIds.map((siteId) => byId.get(siteId));
      },
      { cache: false, maxBatchSize: MAX_SITES_PER_QUERY, batchScheduleFn: (run) => setImmediate(run) },
    );
    siteLoaders.set(store, loader);
  }
  return loader;
}

export async function insertSite(db: Kysely<Database>, site: SiteRow): Promise<void> {
  await db.insertInto('sites').values(site).execute();
}

export async function nextSiteId(db: Kysely<Database>): Promise<number> {
  const row = await db
    .selectFrom('sites')
    .select(sql<number>`coalesce(max(id), 0) + 1`.as('next'))
    .executeTakeFirstOrThrow();
  return Number(row.next);
}

export async function findSiteByExternalId(
  db: Kysely<Database>,
  dealerId: number,
  externalSiteId: string,
): Promise<SiteRow | undefined> {
  return db
    .selectFrom('sites')
    .selectAll()
    .where('dealer_id', '=', dealerId)
    .where('external_site_id', '=', externalSiteId)
    .executeTakeFirst();
}
