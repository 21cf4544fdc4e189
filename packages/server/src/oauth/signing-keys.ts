import { createPrivateKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import type { Kysely } from 'kysely';
import {
  findActiveSigningKey,
  listSigningKeys,
  offerActiveSigningKey,
} from '../store/repositories/signing-keys.js';
import type { Database } from '../store/schema.js';

/** ES256: asymmetric, compact, supported by every JOSE library integrators might verify with. */
export const SIGNING_ALG = 'ES256';

export interface SigningKeys {
  /** The key new tokens are signed with. */
  readonly active: { kid: string; privateKey: KeyObject };
  /** Every public key still valid for verification, as served at /.well-known/jwks.json. */
  readonly jwks: { keys: JWK[] };
}

/**
 * Loads the signing keys, creating the first one if the database has none. The key lives in the
 * database, so tokens survive a restart and every instance on one database signs with the same key.
 */
export async function loadSigningKeys(db: Kysely<Database>): Promise<SigningKeys> {
  let active = await findActiveSigningKey(db);
  if (!active) {
    await offerActiveSigningKey(db, await generateSigningKey());
    active = await findActiveSigningKey(db);
  }
  if (!active) throw new Error('no active signing key after creating one');
  const privateKey = createPrivateKey({ key: JSON.parse(active.private_jwk) as JsonWebKey, format: 'jwk' });
  const keys = (await listSigningKeys(db)).map((row) => JSON.parse(row.public_jwk) as JWK);
  return { active: { kid: active.kid, privateKey }, jwks: { keys } };
}

async function generateSigningKey() {
  const { privateKey, publicKey } = await generateKeyPair(SIGNING_ALG, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const privateJwk = await exportJWK(privateKey);
  return {
    kid,
    slot: null,
    alg: SIGNING_ALG,
    private_jwk: JSON.stringify({ ...privateJwk, kid, alg: SIGNING_ALG }),
    public_jwk: JSON.stringify({ ...publicJwk, kid, alg: SIGNING_ALG, use: 'sig' }),
    created_at: new Date().toISOString(),
  };
}
