import type { Kysely } from 'kysely';
import { type ClientRow, findClient, listGrantedDealerIds } from '../store/repositories/clients.js';
import type { Database } from '../store/schema.js';

/** Which dealers a client may reach: every dealer (a platform partner) or a fixed set (a dealer app). */
export type DealerAccess =
  | { readonly kind: 'all' }
  | { readonly kind: 'granted'; readonly dealerIds: ReadonlySet<number> };

export type ClientStanding =
  | {
      readonly status: 'active';
      readonly access: DealerAccess;
      /** Tokens issued before this (ms since the epoch) were stopped by a revocation since lifted. */
      readonly tokensValidFromMs?: number;
    }
  | { readonly status: 'revoked' }
  | { readonly status: 'unknown' };

/**
 * How long a client's standing is trusted before the database is asked again. This bounds how
 * long a revoked client's live token keeps working, on every instance: the README promises 2 s.
 */
export const CLIENT_STANDING_TTL_MS = 2000;

/**
 * Looks up clients' standing (revoked? which dealers?) with a short cache, so a request does not
 * pay a database round trip for data that changes rarely. Concurrent misses share one lookup.
 */
export class ClientDirectory {
  private readonly entries = new Map<string, DirectoryEntry>();

  /**
   * `clock` measures how old a standing is, so by default it is the monotonic one: the wall clock
   * can step back (an NTP correction, a VM resumed from a snapshot), and every cached standing
   * would then stay fresh for as long as the step, a revoked client's tokens working all along.
   */
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: () => number = () => performance.now(),
    private readonly ttlMs = CLIENT_STANDING_TTL_MS,
  ) {}

  standing(clientId: string): Promise<ClientStanding> {
    const fresh = this.freshEntry(clientId);
    if (fresh) return fresh.standing;
    const entry: DirectoryEntry = { standing: this.fetch(clientId), fetchedAt: this.clock() };
    this.entries.set(clientId, entry);
    entry.standing.then(
      (standing) => {
        entry.known = standing;
      },
      // A failed lookup (database down) must not be remembered; a newer entry may have replaced it.
      () => {
        if (this.entries.get(clientId) === entry) this.entries.delete(clientId);
      },
    );
    return entry.standing;
  }

  /**
   * The standing, when it has been fetched and is still fresh; otherwise undefined (ask
   * `standing`). Lets the common request skip a promise.
   */
  known(clientId: string): ClientStanding | undefined {
    return this.freshEntry(clientId)?.known;
  }

  private freshEntry(clientId: string): DirectoryEntry | undefined {
    const entry = this.entries.get(clientId);
    if (!entry || this.clock() - entry.fetchedAt >= this.ttlMs) return undefined;
    return entry;
  }

  private async fetch(clientId: string): Promise<ClientStanding> {
    const client = await findClient(this.db, clientId);
    if (!client) return { status: 'unknown' };
    if (client.revoked_at !== null) return { status: 'revoked' };
    const access = await this.accessOf(client);
    if (client.tokens_valid_from === null) return { status: 'active', access };
    return { status: 'active', access, tokensValidFromMs: Date.parse(client.tokens_valid_from) };
  }

  private async accessOf(client: ClientRow): Promise<DealerAccess> {
    if (client.all_dealers === 1) return { kind: 'all' };
    return { kind: 'granted', dealerIds: new Set(await listGrantedDealerIds(this.db, client.id)) };
  }
}

interface DirectoryEntry {
  readonly standing: Promise<ClientStanding>;
  readonly fetchedAt: number;
  /** The standing, once the lookup has settled. */
  known?: ClientStanding;
}
