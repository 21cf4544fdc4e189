import type { Insertable, Kysely, Selectable } from 'kysely';
import { reusableQuery } from '../reusable-query.js';
import type { ArmingHistoryTable, Database } from '../schema.js';

export type ArmingHistoryRow = Selectable<ArmingHistoryTable>;

type NewArmingHistory = Omit<Insertable<ArmingHistoryTable>, 'id'>;

// Every PATCH on SQLite writes one: compiled once (reusableQuery), not built per request.
export const insertHistory = reusableQuery(
  ['site_id', 'dealer_id', 'from_type', 'to_type', 'client_id', 'trace_id', 'changed_at', 'previous_id'],
  (db: Kysely<Database>, entry: NewArmingHistory) =>
    db.insertInto('arming_history').values(entry).returning('id'),
);

/**
 * A site's history, oldest first: the chain from the site's latest row back through each
 * previous_id (there is no index on site_id; see migration 0002).
 */
export async function listArmingHistory(db: Kysely<Database>, siteId: number): Promise<ArmingHistoryRow[]> {
  return db
    .withRecursive('chain', (qb) =>
      qb
        .selectFrom('arming_history')
        .innerJoin('sites', 'sites.last_history_id', 'arming_history.id')
        .selectAll('arming_history')
        .where('sites.id', '=', siteId)
        .unionAll((union) =>
          union
            .selectFrom('arming_history')
            .innerJoin('chain', 'chain.previous_id', 'arming_history.id')
            .selectAll('arming_history'),
        ),
    )
    .selectFrom('chain')
    .selectAll()
    .orderBy('id')
    .execute();
}
