import DataLoader from 'dataloader';
import { type Kysely, type Selectable, sql } from 'kysely';
import { perTurnBatches } from '../batched-lookup.js';
import { reusableQuery } from '../reusable-query.js';
import type { Database, SitesTable } from '../schema.js';
import type { Store } from '../store.js';

export type SiteRow = Selectable<SitesTable>;
export type SiteSummary = Pick<SiteRow, 'id' | 'external_site_id' | 'name' | 'security_type'>;

interface SiteKey {
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
 * The site, if the dealer has it. Concurrent lookups share one query (perTurnBatches), and the
 * dealer is part of its join condition as of every other query by dealer: another dealer's site
 * is never even read. The loader's own promise, with nothing chained to it: every GET comes
 * through here, and each layer costs a promise and a turn of the microtask queue more.
 */
export function findSite(store: Store, dealerId: number, siteId: number): Promise<SiteSummary | undefined> {
  return dealersSites(store).load({ siteId, dealerId });
}

const SUMMARY_COLUMNS = ['sites.id', 'sites.external_site_id', 'sites.name', 'sites.security_type'] as const;

// The batch's (site, dealer) pairs come in as two lists, side by side: PostgreSQL unnests two
// arrays; SQLite, which has no arrays, reads two JSON arrays (the dealer list is parsed once per
// statement, SQLite's JSON cache serving each json_extract after the first; a JSON array of
// pairs, each parsed again by `->>`, cost ~0.3 µs a site more). Each row carries its pair's index
// (`slot`), so the answers need no keys matched in JavaScript.
const dealersSitesOnSqlite = reusableQuery(
  ['siteIds', 'dealerIds'],
  (db: Kysely<Database>, p: { siteIds: string; dealerIds: string }) =>
    db
      .selectFrom(sql<{ key: number; value: number }>`json_each(${p.siteIds})`.as('wanted'))
      .innerJoin('sites', (join) =>
        join
          .onRef('sites.id', '=', 'wanted.value')
          .on('sites.dealer_id', '=', sql<number>`json_extract(${p.dealerIds}, '$[' || wanted.key || ']')`),
      )
      .select([...SUMMARY_COLUMNS, 'wanted.key as slot']),
);

const dealersSitesOnPostgres = reusableQuery(
  ['siteIds', 'dealerIds'],
  (db: Kysely<Database>, p: { siteIds: number[]; dealerIds: number[] }) =>
    db
      .selectFrom(
        sql<{ site_id: number; dealer_id: number; slot: number }>`(
          select site_id, dealer_id, (ordinality - 1)::integer as slot
          from unnest(${p.siteIds}::integer[], ${p.dealerIds}::integer[]) with ordinality
            as pairs(site_id, dealer_id)
        )`.as('wanted'),
      )
      .innerJoin('sites', (join) =>
        join.onRef('sites.id', '=', 'wanted.site_id').onRef('sites.dealer_id', '=', 'wanted.dealer_id'),
      )
      .select([...SUMMARY_COLUMNS, 'wanted.slot']),
);

const loaders = new WeakMap<Store, DataLoader<SiteKey, SiteSummary | undefined>>();

function dealersSites(store: Store): DataLoader<SiteKey, SiteSummary | undefined> {
  let loader = loaders.get(store);
  if (!loader) {
    loader = new DataLoader((keys) => sitesFor(store, keys), perTurnBatches());
    loaders.set(store, loader);
  }
  return loader;
}

async function sitesFor(store: Store, keys: readonly SiteKey[]): Promise<(SiteSummary | undefined)[]> {
  const siteIds = keys.map((key) => key.siteId);
  const dealerIds = keys.map((key) => key.dealerId);
  const query =
    store.dialect === 'postgres'
      ? dealersSitesOnPostgres(store.db, { siteIds, dealerIds })
      : dealersSitesOnSqlite(store.db, {
          siteIds: JSON.stringify(siteIds),
          dealerIds: JSON.stringify(dealerIds),
        });
  const found: (SiteSummary | undefined)[] = new Array(keys.length).fill(undefined);
  for (const row of await store.queryAll(query)) {
    // The summary alone, without the row's slot.
    found[row.slot] = {
      id: row.id,
      external_site_id: row.external_site_id,
      name: row.name,
      security_type: row.security_type,
    };
  }
  return found;
}

export async function siteIdTaken(db: Kysely<Database>, siteId: number): Promise<boolean> {
  const row = await db.selectFrom('sites').select('id').where('id', '=', siteId).executeTakeFirst();
  return row !== undefined;
}

export async function dealerHasSite(
  db: Kysely<Database>,
  dealerId: number,
  siteId: number,
): Promise<boolean> {
  const row = await db
    .selectFrom('sites')
    .select('id')
    .where('id', '=', siteId)
    .where('dealer_id', '=', dealerId)
    .executeTakeFirst();
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
