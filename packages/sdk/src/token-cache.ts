/** One access token as the token endpoint granted it. */
export interface AccessTokenGrant {
  accessToken: string;
  /** `expires_in`; undefined when the server did not say (then the token is used until rejected). */
  expiresInSeconds: number | undefined;
  /**
   * When the token request was sent (the server's clock started the lifetime no earlier), by
   * `elapsedMs`: a token's age is elapsed time, which the time of day is not (it can step back).
   */
  requestedAtMs: number;
}

/** The clock tokens are aged by: monotonic, unlike Date.now, which an NTP step or a resumed VM sets back. */
export function elapsedMs(): number {
  return performance.now();
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
 * - Renewal ahead of expiry is a precaution, so no call waits for it: the token it is to replace
 *   is used meanwhile, and should it fail (the token endpoint down for a moment), until it expires;
 *   the next call tries again. Waiting would let the renewal's retries, which honour Retry-After,
 *   outlast the token's last seconds and fail calls it could have served.
 */
export class TokenCache {
  #cached: CachedToken | undefined;
  #pending: Promise<string> | undefined;
  #generation = 0;

  constructor(
    private readonly fetchGrant: (traceId?: string) => Promise<AccessTokenGrant>,
    private readonly now: () => number = elapsedMs,
  ) {}

  /**
   * A token believed valid: the cached one, or the result of the (single) fetch under way. A fetch
   * this call starts carries its trace id; calls that join a fetch under way share that fetch's.
   */
  token(traceId?: string): Promise<string> {
    const cached = this.#cached;
    if (cached && this.now() < cached.refreshAtMs) return Promise.resolve(cached.value);
    if (cached && this.now() < cached.expiresAtMs) {
      this.#renewInBackground(traceId);
      return Promise.resolve(cached.value);
    }
    this.#pending ??= this.#fetch(traceId);
    return this.#pending;
  }

  /** Starts the renewal ahead of expiry, unless one is under way; its failure is no caller's. */
  #renewInBackground(traceId: string | undefined): void {
    if (this.#pending) return;
    const renewal = this.#fetch(traceId);
    this.#pending = renewal;
    // Handled here: a call made once the token has expired joins it, and is told of the failure.
    renewal.catch(() => {});
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
