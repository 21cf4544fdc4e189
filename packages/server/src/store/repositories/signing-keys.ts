import type { Kysely, Selectable } from 'kysely';
import type { Database, SigningKeysTable } from '../schema.js';

export type SigningKeyRow = Selectable<SigningKeysTable>;

const ACTIVE_SLOT = 'active';

export async function findActiveSigningKey(db: Kysely<Database>): Promise<SigningKeyRow | undefined> {
  return db.selectFrom('signing_keys').selectAll().where('slot', '=', ACTIVE_SLOT).executeTakeFirst();
}

export async function listSigningKeys(db: Kysely<Database>): Promise<SigningKeyRow[]> {
  return db.selectFrom('signing_keys').selectAll().orderBy('created_at').execute();
}

/**
 * Offers a key for the active slot. The slot is unique, so when several instances start at once
 * exactly one offer wins and every instance then reads that one.
 */
export async function offerActiveSigningKey(db: Kysely<Database>, key: SigningKeyRow): Promise<void> {
  await db
    .insertInto('signing_keys')
    .values({ ...key, slot: ACTIVE_SLOT })
    .onConflict((conflict) => conflict.doNothing())
    .execute();
}
