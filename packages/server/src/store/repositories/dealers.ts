import type { Kysely, Selectable } from 'kysely';
import type { Database, DealersTable } from '../schema.js';

export type DealerRow = Selectable<DealersTable>;

export async function findDealer(db: Kysely<Database>, dealerId: number): Promise<DealerRow | undefined> {
  return db.selectFrom('dealers').selectAll().where('id', '=', dealerId).executeTakeFirst();
}

export async function insertDealer(db: Kysely<Database>, dealer: DealerRow): Promise<void> {
  await db.insertInto('dealers').values(dealer).execute();
}
