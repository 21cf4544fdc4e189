import type { SecurityType } from '@chekt-partner/contract';
import type { Generated } from 'kysely';

/**
 * The tables as Kysely sees them. Timestamps are ISO-8601 text and flags are 0/1 integers,
 * so that one set of queries reads the same on SQLite and PostgreSQL.
 */
export interface Database {
  dealers: DealersTable;
  sites: SitesTable;
  clients: ClientsTable;
  client_dealer_grants: ClientDealerGrantsTable;
  signing_keys: SigningKeysTable;
  arming_history: ArmingHistoryTable;
}

export interface DealersTable {
  id: number;
  name: string;
  created_at: string;
}

export interface SitesTable {
  id: number;
  dealer_id: number;
  external_site_id: string;
  name: string;
  security_type: SecurityType;
  created_at: string;
  updated_at: string;
  /** The site's latest arming_history row: the head of its history chain; null before any change. */
  last_history_id: number | null;
}

export interface ClientsTable {
  id: string;
  name: string;
  /** SHA-256 of the secret, hex. The secret itself is never stored. */
  secret_hash: string;
  all_dealers: 0 | 1;
  created_at: string;
  revoked_at: string | null;
  /**
   * When the client's last revocation was lifted (`serve --demo` enables its client again), the
   * time of that revocation: tokens issued before it stay refused. Null otherwise.
   */
  tokens_valid_from: string | null;
}

export interface ClientDealerGrantsTable {
  client_id: string;
  dealer_id: number;
}

export interface SigningKeysTable {
  kid: string;
  /** 'active' for the key that signs; null for retired keys still published for verification. */
  slot: string | null;
  alg: string;
  private_jwk: string;
  public_jwk: string;
  created_at: string;
}

export interface ArmingHistoryTable {
  id: Generated<number>;
  site_id: number;
  dealer_id: number;
  from_type: SecurityType;
  to_type: SecurityType;
  client_id: string;
  trace_id: string;
  changed_at: string;
  /** The same site's history row before this one; null for its first. */
  previous_id: number | null;
}
