import { type Kysely, type Selectable, sql } from 'kysely';
import { batchedLookup } from '../batched-lookup.js';
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
// (reusableQuery), not per request. A GET locates its site with findSite below, and so does a
// PATCH whose body is rejected (its 404 comes first).
export const siteForChange = reusableQuery(['siteId', 'dealerId'], (db: Kysely<Database>, p: SiteKey) =>
  db
    .selectFrom('sites')
    .select(['id', 'external_site_id', 'name', 'security_type', 'last_history_id'])
    .where('id', '=', p.siteId)
    .where('dealer_id', '=', p.dealerId),
);

/**
 * The site, if the dealer has it. Concurrent lookups share one query (batchedLookup). A `then`
 * rather than an async function: every GET comes through here, and an async layer costs a
 * promise and a turn of the microtask queue more.
 */
export function findSite(store: Store, dealerId: number, siteId: number): Promise<SiteSummary | undefined> {
  return siteById(store, siteId).then((site) => {
    if (!site || Number(site.dealer_id) !== dealerId) return undefined;
    return {
      id: site.id,
      external_site_id: site.external_site_id,
      name: site.name,
      security_type: site.security_type,
    };
  });
}

const LOCATED_SITE_COLUMNS = ['id', 'dealer_id', 'external_site_id', 'name', 'security_type'] as const;

const siteById = batchedLookup(
  (db, idIsOneOf) => db.selectFrom('sites').select(LOCATED_SITE_COLUMNS).where(idIsOneOf),
  (row) => Number(row.id),
);

export async function siteIdTaken(db: Kysely<Database>, siteId: number): Promise<boolean> {
  const row = await db.selectFrom('sites').select('id').where('id', '=', siteId).executeTakeFirst();
  return row !== undefined;
}

export async function insertSite(db: Kysely<Database>, site: SiteRow): Promise<void> {
  await db.insertInto('sites').values(site).execute();
}

export async function nextSiteId(db: Kysely<Database>): Promise<number> {
  const row = await db
    .selectFrom('sites')
    // bigint: on PostgreSQL the next id after the largest integer must not overflow in the query.
    .select(sql<number>`cast(coalesce(max(id), 0) as bigint) + 1`.as('next'))
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
