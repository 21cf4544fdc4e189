import { insufficientScopeMessage, type Scope } from '@chekt-partner/contract';
import { ApiError } from '../errors.js';
import type { AccessTokenVerifier, TokenClaims } from '../oauth/access-tokens.js';
import type { ClientDirectory, ClientStanding, DealerAccess } from './client-directory.js';

/** The authenticated caller of a partner endpoint. */
export interface Caller {
  readonly clientId: string;
  readonly scopes: ReadonlySet<Scope>;
  readonly access: DealerAccess;
}

// RFC 6750 §2.1: "Bearer" 1*SP b64token.
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/** RFC 6750: the bearer token from the Authorization header, verified, of a client in good standing. */
export async function authenticateBearer(
  authorization: string | undefined,
  verifier: AccessTokenVerifier,
  directory: ClientDirectory,
): Promise<Caller> {
  const claims =
    recallCanonical(authorization, verifier) ?? (await verifier.verify(bearerToken(authorization)));
  const standing = await directory.standing(claims.clientId);
  if (standing.status === 'revoked') {
    throw new ApiError('invalid_token', { message: 'The client of this token has been revoked' });
  }
  if (standing.status === 'unknown') {
    throw new ApiError('invalid_token', { message: 'The client of this token does not exist here' });
  }
  if (stoppedByRevocation(claims, standing)) {
    throw new ApiError('invalid_token', { message: 'This token was issued before its client was revoked' });
  }
  return { clientId: claims.clientId, scopes: claims.scopes, access: standing.access };
}

/**
 * The common case, without a promise: a token already verified, of a client whose standing is
 * known and active. Undefined whenever authenticateBearer has more to find out or to refuse.
 */
export function recallCaller(
  authorization: string | undefined,
  verifier: AccessTokenVerifier,
  directory: ClientDirectory,
): Caller | undefined {
  const claims = recallCanonical(authorization, verifier);
  if (!claims) return undefined;
  const standing = directory.known(claims.clientId);
  if (standing?.status !== 'active' || stoppedByRevocation(claims, standing)) return undefined;
  return { clientId: claims.clientId, scopes: claims.scopes, access: standing.access };
}

/**
 * A token issued before a revocation that has since been lifted stays refused. `iat` counts whole
 * seconds, so a token issued in the second of the revocation counts as issued before it: after a
 * revocation lifted within that same second, new tokens work from the next second on.
 */
function stoppedByRevocation(claims: TokenClaims, standing: ClientStanding & { status: 'active' }): boolean {
  return standing.tokensValidFromMs !== undefined && claims.iat * 1000 < standing.tokensValidFromMs;
}

/**
 * The common case, without parsing: a client sending `Bearer <token>` again with a token already
 * verified. Whatever follows "Bearer " matches only a token that once passed bearerToken().
 */
function recallCanonical(authorization: string | undefined, verifier: AccessTokenVerifier) {
  if (!authorization?.startsWith('Bearer ')) return undefined;
  return verifier.recall(authorization.slice('Bearer '.length));
}

// The scheme is case-insensitive (RFC 9110 §11.1); "Bearer" alone is a Bearer header without its token.
const BEARER_SCHEME = /^Bearer(?: |$)/i;

function bearerToken(authorization: string | undefined): string {
  if (authorization === undefined || authorization.trim() === '') {
    throw new ApiError('unauthorized', { message: 'Send an access token: Authorization: Bearer <token>' });
  }
  // RFC 6750 §3.1: credentials of another scheme (Basic, ...) are no attempt at a bearer token,
  // so the answer is the bare challenge, without an error code, as when none is sent.
  if (!BEARER_SCHEME.test(authorization)) {
    throw new ApiError('unauthorized', {
      message: 'This API takes an access token: Authorization: Bearer <token>',
    });
  }
  const token = BEARER.exec(authorization)?.[1];
  if (!token)
    throw new ApiError('invalid_token', {
      message: 'The Authorization header has no well-formed token after Bearer',
    });
  return token;
}

export function requireScope(caller: Caller, scope: Scope): void {
  if (caller.scopes.has(scope)) return;
  throw new ApiError('insufficient_scope', { message: insufficientScopeMessage(scope) });
}
