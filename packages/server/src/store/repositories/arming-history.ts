import type { Insertable, Kysely, Selectable } from 'kysely';
import { reusableQuery } from '../reusable-query.js';
import type { ArmingHistoryTable, Database } from '../schema.js';

export type ArmingHistoryRow = Selectable<ArmingHistoryTable>;

type NewArmingHistory = Omit<Insertable<ArmingHistoryTable>, 'id'>;

// Every PATCH writes one: compiled once (reusableQuery), not built per request.
export const insertHistory = reusableQuery(
  ['site_id', 'dealer_id', 'from_type', 'to_type', 'client_id', 'trace_id', 'changed_at'],
  (db: Kysely<Database>, entry: NewArmingHistory) => db.insertInto('arming_history').values(entry),
);

export async function listArmingHistory(db: Kysely<Database>, siteId: number): Promise<ArmingHistoryRow[]> {
  return db.selectFrom('arming_history').selectAll().where('site_id', '=', siteId).orderBy('id').execute();
}
