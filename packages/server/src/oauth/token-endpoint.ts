import { ALL_SCOPES, isScope, type Scope, type TokenResponse } from '@chekt-partner/contract';
import { OAuthError } from '../errors.js';
import { findClientBatched } from '../store/repositories/clients.js';
import type { Store } from '../store/store.js';
import { type AccessTokenSettings, issueAccessToken } from './access-tokens.js';
import { readClientCredentials } from './client-authentication.js';
import { clientSecretMatches } from './client-secrets.js';
import type { SigningKeys } from './signing-keys.js';

/** The stored hash of no secret at all: SHA-256 never yields it in practice. */
const NO_CLIENT_HASH = '0'.repeat(64);

export interface TokenRequest {
  contentType: string | undefined;
  authorization: string | undefined;
  body: unknown;
}

export interface TokenEndpointDeps {
  store: Store;
  keys: SigningKeys;
  settings: AccessTokenSettings;
}

/**
 * The client credentials grant (RFC 6749 §4.4) as a pipeline: each step is one rule of the RFC
 * and throws an OAuthError (§5.2) when the request breaks it.
 */
export async function handleTokenRequest(
  deps: TokenEndpointDeps,
  request: TokenRequest,
): Promise<TokenResponse & { clientId: string }> {
  requireFormEncoding(request.contentType);
  const params = singleValuedParams(request.body);
  requireGrantTypePresent(params);
  const credentials = readClientCredentials(request.authorization, params);
  await authenticateClient(deps.store, credentials.clientId, credentials.clientSecret);
  requireClientCredentialsGrant(params.grant_type);
  const scopes = grantedScopes(params.scope);
  const accessToken = issueAccessToken(deps.keys, deps.settings, credentials.clientId, scopes);
  return {
    access_token: accessToken,
    token_type: 'Bearer',
    expires_in: deps.settings.ttlSeconds,
    scope: scopes.join(' '),
    clientId: credentials.clientId,
  };
}

function requireFormEncoding(contentType: string | undefined): void {
  if (isFormEncoded(contentType)) return;
  throw notFormEncoded();
}

export function isFormEncoded(contentType: string | undefined): boolean {
  return contentType?.split(';')[0]?.trim().toLowerCase() === 'application/x-www-form-urlencoded';
}

export function notFormEncoded(): OAuthError {
  return new OAuthError('invalid_request', 'The token request must be application/x-www-form-urlencoded');
}

/** The parameters this endpoint reads: §3.2's rules below are about these. */
const TOKEN_REQUEST_PARAMS = new Set(['grant_type', 'client_id', 'client_secret', 'scope']);

/**
 * §3.2: "Request and response parameters MUST NOT be included more than once", and "Parameters
 * sent without a value MUST be treated as if they were omitted from the request." Any other
 * parameter "MUST" be ignored, repeated or not: an extension may repeat its own (RFC 8707's
 * `resource`, for one token meant for several servers).
 */
function singleValuedParams(body: unknown): Record<string, string> {
  if (body === null || typeof body !== 'object') return {};
  const params: Record<string, string> = {};
  for (const [name, sent] of Object.entries(body)) {
    if (!TOKEN_REQUEST_PARAMS.has(name)) continue;
    // An empty occurrence is omitted, so only the occurrences with a value can repeat it.
    const values = (Array.isArray(sent) ? sent : [sent]).filter(
      (value): value is string => typeof value === 'string' && value !== '',
    );
    if (values.length > 1)
      throw new OAuthError('invalid_request', `The parameter ${name} was sent more than once`);
    if (values[0] !== undefined) params[name] = values[0];
  }
  return params;
}

function requireGrantTypePresent(params: Record<string, string>): void {
  if (params.grant_type === undefined)
    throw new OAuthError('invalid_request', 'The grant_type parameter is required');
}

function requireClientCredentialsGrant(grantType: string | undefined): void {
  if (grantType === 'client_credentials') return;
  throw new OAuthError('unsupported_grant_type', 'Only grant_type=client_credentials is supported');
}

async function authenticateClient(store: Store, clientId: string, secret: string): Promise<void> {
  const client = await findClientBatched(store, clientId);
  // Compare against a hash no secret has even for an unknown client, so the answer takes as long either way.
  const matches = clientSecretMatches(secret, client?.secret_hash ?? NO_CLIENT_HASH);
  if (!client || !matches || client.revoked_at !== null) {
    throw new OAuthError('invalid_client', 'Client authentication failed');
  }
}

/** No scope asked for means every scope; asking for one we do not know is invalid_scope. */
function grantedScopes(scope: string | undefined): Scope[] {
  if (scope === undefined || scope.trim() === '') return [...ALL_SCOPES];
  const requested = scope.trim().split(/ +/);
  const unknown = requested.filter((name) => !isScope(name));
  if (unknown.length > 0) throw new OAuthError('invalid_scope', `Unknown scope: ${unknown.join(' ')}`);
  return ALL_SCOPES.filter((name) => requested.includes(name));
}
