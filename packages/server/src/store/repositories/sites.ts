import type { SecurityType } from '@chekt-partner/contract';
import { type Kysely, type Selectable, sql } from 'kysely';
import type { Database, SitesTable } from '../schema.js';
import type { Dialect } from '../store.js';

export type SiteRow = Selectable<SitesTable>;
export type SiteSummary = Pick<SiteRow, 'id' | 'external_site_id' | 'name' | 'security_type'>;

/** The dealer is part of the WHERE: a site of another dealer is simply not found. */
function siteUnderDealer(db: Kysely<Database>, dealerId: number, siteId: number) {
  return db
    .selectFrom('sites')
    .select(['id', 'external_site_id', 'name', 'security_type'])
    .where('id', '=', siteId)
    .where('dealer_id', '=', dealerId);
}

export async function findSite(
  db: Kysely<Database>,
  dealerId: number,
  siteId: number,
): Promise<SiteSummary | undefined> {
  return siteUnderDealer(db, dealerId, siteId).executeTakeFirst();
}

/**
 * Reads the site inside a write transaction, locking its row on PostgreSQL so that concurrent
 * updates see each other's value. SQLite needs no lock clause: its writers are serialized.
 */
export async function findSiteForUpdate(
  trx: Kysely<Database>,
  dialect: Dialect,
  dealerId: number,
  siteId: number,
): Promise<SiteSummary | undefined> {
  return siteUnderDealer(trx, dealerId, siteId)
    .$if(dialect === 'postgres', (query) => query.forUpdate())
    .executeTakeFirst();
}

export async function updateSecurityType(
  trx: Kysely<Database>,
  siteId: number,
  securityType: SecurityType,
  now: string,
): Promise<void> {
  await trx
    .updateTable('sites')
    .set({ security_type: securityType, updated_at: now })
    .where('id', '=', siteId)
    .execute();
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
