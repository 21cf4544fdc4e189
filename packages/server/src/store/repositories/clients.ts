import type { Kysely, Selectable } from 'kysely';
import { batchedLookup } from '../batched-lookup.js';
import type { ClientsTable, Database } from '../schema.js';

export type ClientRow = Selectable<ClientsTable>;

/**
 * The client as stored now, for the token endpoint: no cache (a revoked client or a replaced
 * secret is refused at once), and concurrent token requests share one query (batchedLookup).
 */
export const findClientBatched = batchedLookup(
  (db, idIsOneOf) => db.selectFrom('clients').selectAll().where(idIsOneOf),
  (row) => row.id,
);

/** One client as stored now, in a query of its own (the client directory's re-reads, provisioning). */
export async function findClient(db: Kysely<Database>, clientId: string): Promise<ClientRow | undefined> {
  return db.selectFrom('clients').selectAll().where('id', '=', clientId).executeTakeFirst();
}

export async function listGrantedDealerIds(db: Kysely<Database>, clientId: string): Promise<number[]> {
  const rows = await db
    .selectFrom('client_dealer_grants')
    .select('dealer_id')
    .where('client_id', '=', clientId)
    .execute();
  return rows.map((row) => Number(row.dealer_id));
}

export async function insertClient(
  db: Kysely<Database>,
  client: ClientRow,
  dealerIds: number[],
): Promise<void> {
  await db.insertInto('clients').values(client).execute();
  if (dealerIds.length === 0) return;
  await db
    .insertInto('client_dealer_grants')
    .values(dealerIds.map((dealerId) => ({ client_id: client.id, dealer_id: dealerId })))
    .execute();
}

/** Returns false when there is no such client. Revoking twice keeps the first time. */
export async function revokeClient(db: Kysely<Database>, clientId: string, now: string): Promise<boolean> {
  const client = await findClient(db, clientId);
  if (!client) return false;
  if (client.revoked_at !== null) return true;
  await db.updateTable('clients').set({ revoked_at: now }).where('id', '=', clientId).execute();
  return true;
}

/**
 * Enables the client again, with a new secret: `serve --demo` prints working credentials, even
 * for a demo client revoked before. The tokens the revocation stopped stay stopped: from then on
 * only tokens issued after it count (tokens_valid_from).
 */
export async function reinstateClient(
  db: Kysely<Database>,
  clientId: string,
  secretHash: string,
): Promise<void> {
  await db
    .updateTable('clients')
    .set((eb) => ({
      secret_hash: secretHash,
      revoked_at: null,
      tokens_valid_from: eb.fn.coalesce('revoked_at', 'tokens_valid_from'),
    }))
    .where('id', '=', clientId)
    .execute();
}
