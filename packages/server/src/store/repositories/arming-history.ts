import type { Insertable, Kysely, Selectable } from 'kysely';
import type { ArmingHistoryTable, Database } from '../schema.js';

export type ArmingHistoryRow = Selectable<ArmingHistoryTable>;

export async function insertArmingHistory(
  trx: Kysely<Database>,
  entry: Insertable<ArmingHistoryTable>,
): Promise<void> {
  await trx.insertInto('arming_history').values(entry).execute();
}

export async function listArmingHistory(db: Kysely<Database>, siteId: number): Promise<ArmingHistoryRow[]> {
  return db.selectFrom('arming_history').selectAll().where('site_id', '=', siteId).orderBy('id').execute();
}
