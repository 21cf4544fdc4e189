import type { SecurityType } from '@chekt-partner/contract';
import DataLoader from 'dataloader';
import { CompiledQuery, type Kysely, sql } from 'kysely';
import { isDatabaseUnavailable } from '../availability.js';
import { perTurnBatches } from '../batched-lookup.js';
import { reusableQuery } from '../reusable-query.js';
import type { Database } from '../schema.js';
import type { PostgresStore } from '../store.js';
import type { SecurityTypeChange, SecurityTypeChanges } from './security-type-changes.js';
import type { SiteSummary } from './sites.js';

/**
 * PostgreSQL: the changes of one turn go out as one statement (changesInOneStatement), at most one
 * per site: a site's second change in the same turn goes into the next statement, which reads the
 * first one's result. If a statement fails, each of its changes is retried alone
 * (changeInOneStatement), so a change that cannot be made fails by itself. Not when the database
 * is unavailable (unreachable, or a statement timed out): a retry would wait as long again, once
 * per change, so every change not yet made fails at once with that error (a 503).
 *
 * The statement skips sites whose rows another transaction holds locked (an operator's psql, a
 * long transaction): each of those changes is then made alone, after the turn's batch has
 * answered, and waits on its own site's lock (oneAfterAnotherPerSite). Waiting in the statement
 * instead held up every other site's change of the turn, and failed them all with 503 at the
 * statement timeout.
 */
export function changesOnPostgres(store: PostgresStore): SecurityTypeChanges {
  const batches = new DataLoader<SecurityTypeChange, Outcome>(async (changes) => {
    const results = new Map<SecurityTypeChange, Outcome | Error>();
    for (const round of oneChangePerSite(changes)) {
      const outage = await applyRound(store, round, results);
      if (outage) {
        for (const change of changes) if (!results.has(change)) results.set(change, outage);
        break;
      }
    }
    return changes.map((change) => results.get(change));
  }, perTurnBatches());
  const changeAlone = oneAfterAnotherPerSite(store);
  return {
    apply: (change) =>
      batches.load(change).then((site) => (site === NOT_IN_BATCH ? changeAlone(change) : site)),
  };
}

/**
 * Makes the changes the turn's statement skipped, each alone, and those of one site one after
 * another. Each waits on its site's lock while it holds a write slot (write-slots.ts): made all at
 * once, the PATCHes piling up on one site locked elsewhere took every slot, and every other
 * site's PATCH failed with 503 waiting for one. When one fails as unavailable (it waited out the
 * statement timeout), those queued behind it fail with it, as a batch's changes do, instead of
 * each waiting as long again.
 */
function oneAfterAnotherPerSite(
  store: PostgresStore,
): (change: SecurityTypeChange) => Promise<SiteSummary | undefined> {
  // Keyed by dealer too: a change addressed under another dealer finds no row and waits on no lock.
  const lastOfSite = new Map<string, Promise<SiteSummary | undefined>>();
  return (change) => {
    const site = `${change.dealerId}/${change.siteId}`;
    const makeIt = () =>
      store.writing.mayWait(() => store.queryFirst(changeInOneStatement(store.db, change)));
    const made = (lastOfSite.get(site) ?? Promise.resolve(undefined)).then(makeIt, (error) =>
      isDatabaseUnavailable(error) ? Promise.reject(error) : makeIt(),
    );
    lastOfSite.set(site, made);
    const forget = () => {
      if (lastOfSite.get(site) === made) lastOfSite.delete(site);
    };
    made.then(forget, forget);
    return made;
  };
}

/** A change the turn's statement did not make: its site was locked elsewhere, or does not exist. */
const NOT_IN_BATCH = Symbol('not in batch');

type Outcome = SiteSummary | undefined | typeof NOT_IN_BATCH;

/** Splits changes, in arrival order, into rounds in which no site appears twice. */
function oneChangePerSite(changes: readonly SecurityTypeChange[]): SecurityTypeChange[][] {
  const rounds: SecurityTypeChange[][] = [];
  const roundsPerSite = new Map<number, number>();
  for (const change of changes) {
    const round = roundsPerSite.get(change.siteId) ?? 0;
    roundsPerSite.set(change.siteId, round + 1);
    if (!rounds[round]) rounds[round] = [];
    rounds[round].push(change);
  }
  return rounds;
}

/**
 * Makes one round's changes and records each one's outcome in `results`. Returns the error when
 * the database turned out to be unavailable; the changes it left without an outcome were not made.
 */
async function applyRound(
  store: PostgresStore,
  round: SecurityTypeChange[],
  results: Map<SecurityTypeChange, Outcome | Error>,
): Promise<Error | undefined> {
  try {
    const rows = await store.writing(() => store.queryAll(changesInOneStatement(round)));
    const bySite = new Map(rows.map((row) => [Number(row.id), row]));
    for (const change of round) results.set(change, bySite.get(change.siteId) ?? NOT_IN_BATCH);
    return undefined;
  } catch (error) {
    if (isDatabaseUnavailable(error)) return asError(error);
  }
  for (const change of round) {
    try {
      results.set(
        change,
        await store.writing.mayWait(() => store.queryFirst(changeInOneStatement(store.db, change))),
      );
    } catch (error) {
      if (isDatabaseUnavailable(error)) return asError(error);
      results.set(change, asError(error));
    }
  }
  return undefined;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * Many changes (of distinct sites) in one statement: the changes come in as parallel arrays
 * (unnest), and the rest is changeInOneStatement below for each row at once. Rows are locked in
 * id order, so two such statements from different instances cannot deadlock; rows another
 * transaction holds are skipped, and no row comes back for them. Written as SQL: it
 * is PostgreSQL's alone, and Kysely's builder has no form for unnest with column names.
 */
function changesInOneStatement(changes: SecurityTypeChange[]): CompiledQuery<SiteSummary> {
  return CompiledQuery.raw(CHANGES_IN_ONE_STATEMENT, [
    changes.map((change) => change.siteId),
    changes.map((change) => change.dealerId),
    changes.map((change) => change.securityType),
    changes.map((change) => change.clientId),
    changes.map((change) => change.traceId),
    changes.map((change) => change.changedAt),
  ]) as CompiledQuery<SiteSummary>;
}

const CHANGES_IN_ONE_STATEMENT = `
with input as (
  select * from unnest($1::integer[], $2::integer[], $3::integer[], $4::text[], $5::text[], $6::text[])
    as change(site_id, dealer_id, to_type, client_id, trace_id, changed_at)
),
old as (
  select sites.id, sites.dealer_id, sites.security_type, sites.last_history_id,
         input.to_type, input.client_id, input.trace_id, input.changed_at
  from sites join input on sites.id = input.site_id and sites.dealer_id = input.dealer_id
  order by sites.id
  for update of sites skip locked
),
recorded as (
  insert into arming_history
    (site_id, dealer_id, from_type, to_type, client_id, trace_id, changed_at, previous_id)
  select id, dealer_id, security_type, to_type, client_id, trace_id, changed_at, last_history_id
  from old
  returning id, site_id, to_type, changed_at
)
update sites
set security_type = recorded.to_type, updated_at = recorded.changed_at, last_history_id = recorded.id
from recorded
where sites.id = recorded.site_id
returning sites.id, sites.external_site_id, sites.name, sites.security_type`;

// PostgreSQL, one change alone (a failed batch's retry): one statement, so one round trip instead
// of BEGIN, a read, an insert, an update and COMMIT. The `old` CTE locks the row (FOR UPDATE) and
// reads its latest committed type and history head; the history row is written from it, and the
// update moves the site's head to that row. Parameters in the insert's select list are cast,
// since PostgreSQL cannot infer their types there.
const changeInOneStatement = reusableQuery(
  ['dealerId', 'siteId', 'securityType', 'clientId', 'traceId', 'changedAt'],
  (db: Kysely<Database>, p: SecurityTypeChange) =>
    db
      .with('old', (qb) =>
        qb
          .selectFrom('sites')
          .select(['id', 'dealer_id', 'security_type', 'last_history_id'])
          .where('id', '=', p.siteId)
          .where('dealer_id', '=', p.dealerId)
          .forUpdate(),
      )
      .with('recorded', (qb) =>
        qb
          .insertInto('arming_history')
          .columns([
            'site_id',
            'dealer_id',
            'from_type',
            'to_type',
            'client_id',
            'trace_id',
            'changed_at',
            'previous_id',
          ])
          .expression((eb) =>
            eb
              .selectFrom('old')
              .select([
                'old.id',
                'old.dealer_id',
                'old.security_type',
                sql<SecurityType>`cast(${p.securityType} as integer)`.as('to_type'),
                sql<string>`cast(${p.clientId} as text)`.as('client_id'),
                sql<string>`cast(${p.traceId} as text)`.as('trace_id'),
                sql<string>`cast(${p.changedAt} as text)`.as('changed_at'),
                'old.last_history_id',
              ]),
          )
          .returning(['id', 'site_id']),
      )
      .with('changed', (qb) =>
        qb
          .updateTable('sites')
          .from('recorded')
          .set((eb) => ({
            security_type: p.securityType,
            updated_at: p.changedAt,
            last_history_id: eb.ref('recorded.id'),
          }))
          .whereRef('sites.id', '=', 'recorded.site_id')
          .returning(['sites.id', 'sites.external_site_id', 'sites.name', 'sites.security_type']),
      )
      .selectFrom('changed')
      .selectAll(),
);
