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

/** The dealer is part of the WHERE: a site of another dealer is simply not found. */
function siteUnderDealer(db: Kysely<Database>, p: SiteKey) {
  return db
    .selectFrom('sites')
    .select(['id', 'external_site_id', 'name', 'security_type'])
    .where('id', '=', p.siteId)
    .where('dealer_id', '=', p.dealerId);
}

// Every GET and PATCH runs it: compiled once (reusableQuery), not per request.
export const siteQuery = reusableQuery(['siteId', 'dealerId'], siteUnderDealer);

export function findSite(store: Store, dealerId: number, siteId: number): Promise<SiteSummary | undefined> {
  return store.queryFirst(siteQuery(store.db, { siteId, dealerId }));
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
