import { randomUUID } from 'node:crypto';
import { isScope, type Scope } from '@chekt-partner/contract';
import { createLocalJWKSet, errors as joseErrors, jwtVerify } from 'jose';
import { ApiError } from '../errors.js';
import { signCompactJws } from './compact-jws.js';
import { SIGNING_ALG, type SigningKeys } from './signing-keys.js';

/** What a verified access token tells us about its bearer. */
export interface TokenClaims {
  readonly clientId: string;
  readonly scopes: ReadonlySet<Scope>;
  /** Issued at, seconds since the epoch. */
  readonly iat: number;
  /** Expiry, seconds since the epoch. */
  readonly exp: number;
}

export interface AccessTokenSettings {
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

/** Issues an RFC 9068 JWT access token. */
export function issueAccessToken(
  keys: SigningKeys,
  settings: AccessTokenSettings,
  clientId: string,
  scopes: readonly Scope[],
  now = Date.now(),
): string {
  const header = { alg: SIGNING_ALG, kid: keys.active.kid, typ: 'at+jwt' };
  const claims = {
    iss: settings.issuer,
    aud: settings.audience,
    sub: clientId,
    client_id: clientId,
    scope: scopes.join(' '),
    iat: Math.floor(now / 1000),
    // Rounded up, so the token lives at least the expires_in the client was told, never a moment less.
    exp: Math.ceil(now / 1000) + settings.ttlSeconds,
    jti: randomUUID(),
  };
  return signCompactJws(header, claims, keys.active.privateKey);
}

/**
 * ~0.9 KB an entry: a client that takes a new token for every call (50,000 entries held ~45 MB)
 * must not grow the server's memory. A client keeps one token for its hour, so this many serve
 * thousands of clients; a token pushed out by others is verified again (~0.1 ms) and comes back.
 */
export const MAX_CACHED_TOKENS = 4096;

/**
 * Verifies access tokens strictly (issuer, audience, algorithm, typ, required claims) and
 * remembers each verified token until it expires, so a busy client costs one signature check per
 * token rather than per request. Expiry is still checked on every use; revocation is the
 * client directory's job, not this cache's.
 */
export class AccessTokenVerifier {
  /**
   * Keyed by the token's last 16 characters (of its signature), not the whole token: every
   * request brings the token as a new string, and hashing it is most of a cache hit's cost (~530
   * characters; the whole signature segment, ~86, still cost twice what 16 do, with the search
   * for its dot). An entry counts only for the exact token it holds, so tokens that share an end
   * share an entry at worst, never claims.
   */
  private readonly cache = new Map<string, { token: string; claims: TokenClaims }>();
  private readonly keySet: ReturnType<typeof createLocalJWKSet>;

  constructor(
    keys: SigningKeys,
    private readonly settings: AccessTokenSettings,
    private readonly clock: () => number = Date.now,
  ) {
    this.keySet = createLocalJWKSet(keys.jwks);
  }

  async verify(token: string): Promise<TokenClaims> {
    const nowSeconds = this.clock() / 1000;
    const cached = this.cached(token);
    if (cached) {
      if (cached.exp > nowSeconds) return cached;
      this.cache.delete(cacheKeyOf(token));
      throw invalidToken('The access token expired');
    }
    const claims = await this.verifySignatureAndClaims(token, nowSeconds);
    this.remember(token, claims);
    return claims;
  }

  /**
   * The claims of a token verified before and not yet expired, or undefined. Any string may be
   * passed: only a token this verifier accepted matches, so the caller need not parse it first.
   */
  recall(token: string): TokenClaims | undefined {
    const cached = this.cached(token);
    if (cached && cached.exp > this.clock() / 1000) return cached;
    return undefined;
  }

  private cached(token: string): TokenClaims | undefined {
    const entry = this.cache.get(cacheKeyOf(token));
    return entry?.token === token ? entry.claims : undefined;
  }

  private async verifySignatureAndClaims(token: string, nowSeconds: number): Promise<TokenClaims> {
    // A JWS has no base64 padding (RFC 7515 §2), but jose's decoder ignores it: a valid token
    // with '=' added would pass, each variant taking a cache slot of its own.
    if (token.includes('=')) throw invalidToken('The access token is malformed');
    try {
      const { payload } = await jwtVerify(token, this.keySet, {
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        algorithms: [SIGNING_ALG],
        typ: 'at+jwt',
        requiredClaims: ['exp', 'iat', 'sub', 'client_id', 'jti'],
        currentDate: new Date(nowSeconds * 1000),
      });
      const clientId = payload.client_id;
      if (typeof clientId !== 'string' || clientId !== payload.sub)
        throw invalidToken('Malformed token claims');
      return {
        clientId,
        scopes: parseScopes(payload.scope),
        iat: payload.iat as number,
        exp: payload.exp as number,
      };
    } catch (error) {
      if (error instanceof ApiError) throw error;
      throw invalidToken(describeJoseFailure(error), error);
    }
  }

  private remember(token: string, claims: TokenClaims): void {
    if (this.cache.size >= MAX_CACHED_TOKENS) {
      // Map iterates in insertion order: drop the oldest entry.
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    this.cache.set(cacheKeyOf(token), { token, claims });
  }
}

/** Where a token is cached: its end, which in a compact JWS is its signature's. */
function cacheKeyOf(token: string): string {
  return token.slice(-16);
}

function parseScopes(scope: unknown): ReadonlySet<Scope> {
  if (typeof scope !== 'string') return new Set();
  return new Set(scope.split(' ').filter(isScope));
}

function invalidToken(message: string, cause?: unknown): ApiError {
  return new ApiError('invalid_token', { message, cause });
}

function describeJoseFailure(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'The access token expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) return describeClaimFailure(error);
  if (error instanceof joseErrors.JWSSignatureVerificationFailed)
    return 'The access token signature is not valid';
  if (error instanceof joseErrors.JWKSNoMatchingKey) return 'The access token was not signed by this server';
  if (error instanceof joseErrors.JOSEAlgNotAllowed)
    return 'The access token uses a signing algorithm this server does not accept';
  return 'The access token is malformed';
}

/**
 * jose reports the `typ` header parameter as a failed claim, and a missing claim as a failed one:
 * the message says where to look instead (a JWT that is no access token, a claim left out).
 */
function describeClaimFailure(error: InstanceType<typeof joseErrors.JWTClaimValidationFailed>): string {
  if (error.claim === 'typ') return 'The token is not an access token: its typ header is not at+jwt';
  if (error.reason === 'missing') return `The access token has no ${error.claim} claim`;
  return `The access token's ${error.claim} claim is not valid here`;
}
