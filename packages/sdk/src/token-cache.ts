/** One access token as the token endpoint granted it. */
export interface AccessTokenGrant {
  accessToken: string;
  /** `expires_in`; undefined when the server did not say (then the token is used until rejected). */
  expiresInSeconds: number | undefined;
  /** When the token request was sent: the server's clock started the lifetime no earlier. */
  requestedAtMs: number;
}

/** Renew this long before expiry at most... */
const MAX_REFRESH_MARGIN_MS = 60_000;
/** ...and never later than this share of the lifetime before it (short-lived tokens). */
const REFRESH_MARGIN_SHARE = 0.1;

interface CachedToken {
  value: string;
  refreshAtMs: number;
  expiresAtMs: number;
}

/**
 * Holds the client's access token. Fetched on first use, reused until shortly before it expires,
 * fetched again when the API rejects it.
 *
 * - Single flight: callers arriving while a fetch is under way wait for that fetch; they never
 *   start their own.
 * - Generation counter: `invalidate` starts a new generation; a fetch begun in an older one still
 *   answers its own callers but may not overwrite the cache, so a stale token never replaces a newer one.
 * - Renewal ahead of expiry is a precaution: when it fails (the token endpoint down for a moment),
 *   the token it was to replace is still used until it expires, and the next call tries again.
 */
export class TokenCache {
  #cached: CachedToken | undefined;
  #pending: Promise<string> | undefined;
  #generation = 0;

  constructor(
    private readonly fetchGrant: (traceId?: string) => Promise<AccessTokenGrant>,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * A token believed valid: the cached one, or the result of the (single) fetch under way. A fetch
   * this call starts carries its trace id; calls that join a fetch under way share that fetch's.
   */
  token(traceId?: string): Promise<string> {
    if (this.#cached && this.now() < this.#cached.refreshAtMs) return Promise.resolve(this.#cached.value);
    this.#pending ??= this.#fetch(traceId);
    return this.#pending;
  }

  /**
   * The API rejected `rejected`. Forget it, unless it has already been replaced: of twenty calls
   * rejected with the same token, only the first causes a new fetch; the others wait for it.
   */
  invalidate(rejected: string): void {
    if (this.#cached?.value !== rejected) return;
    this.#cached = undefined;
    // A fetch under way began before the rejection and may hand back a token as stale as this one.
    this.#pending = undefined;
    this.#generation++;
  }

  async #fetch(traceId: string | undefined): Promise<string> {
    const generation = this.#generation;
    try {
      const grant = await this.fetchGrant(traceId);
      if (generation === this.#generation) {
        this.#cached = {
          value: grant.accessToken,
          refreshAtMs: refreshAt(grant),
          expiresAtMs: expiresAt(grant),
        };
      }
      return grant.accessToken;
    } catch (error) {
      const current = this.#cached;
      // Not after `invalidate`: a token the API rejected is no fallback, however long it had left.
      if (generation === this.#generation && current && this.now() < current.expiresAtMs)
        return current.value;
      throw error;
    } finally {
      if (generation === this.#generation) this.#pending = undefined;
    }
  }
}

function expiresAt(grant: AccessTokenGrant): number {
  if (grant.expiresInSeconds === undefined) return Number.POSITIVE_INFINITY;
  return grant.requestedAtMs + grant.expiresInSeconds * 1000;
}

function refreshAt(grant: AccessTokenGrant): number {
  if (grant.expiresInSeconds === undefined) return Number.POSITIVE_INFINITY;
  const lifetimeMs = grant.expiresInSeconds * 1000;
  const marginMs = Math.min(MAX_REFRESH_MARGIN_MS, lifetimeMs * REFRESH_MARGIN_SHARE);
  return grant.requestedAtMs + lifetimeMs - marginMs;
}
