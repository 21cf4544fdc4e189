import { OAuthError } from '../errors.js';

export interface ClientCredentials {
  clientId: string;
  clientSecret: string;
  method: 'client_secret_basic' | 'client_secret_post';
}

/**
 * RFC 6749 §2.3.1: the client authenticates with HTTP Basic or with id and secret in the body,
 * never both at once. A body `client_id` beside HTTP Basic only identifies the client (§3.2.1),
 * which some OAuth libraries always send: it is accepted when it names the same client.
 */
export function readClientCredentials(
  authorization: string | undefined,
  params: Readonly<Record<string, string>>,
): ClientCredentials {
  const credentials = authorization === undefined ? fromBody(params) : fromBasic(authorization, params);
  requirePrintableClientId(credentials.clientId);
  return credentials;
}

function fromBasic(authorization: string, params: Readonly<Record<string, string>>): ClientCredentials {
  const basic = readBasic(authorization);
  if (params.client_secret !== undefined) {
    throw new OAuthError(
      'invalid_request',
      'Use one client authentication method: HTTP Basic or the request body, not both',
    );
  }
  if (params.client_id !== undefined && params.client_id !== basic.clientId) {
    throw new OAuthError('invalid_request', 'The client_id parameter names another client than HTTP Basic');
  }
  return basic;
}

function fromBody(params: Readonly<Record<string, string>>): ClientCredentials {
  if (params.client_id === undefined || params.client_secret === undefined) {
    throw new OAuthError('invalid_client', 'Client authentication is required: client_id and client_secret');
  }
  return { clientId: params.client_id, clientSecret: params.client_secret, method: 'client_secret_post' };
}

/**
 * RFC 6749 Appendix A.1: a client id is printable ASCII. No client has any other, and a control
 * character (a NUL, say) is refused here rather than sent to a database that rejects it.
 */
function requirePrintableClientId(clientId: string): void {
  if (/^[\x20-\x7e]*$/.test(clientId)) return;
  throw new OAuthError('invalid_client', 'Client authentication failed: client_id is not printable ASCII');
}

function readBasic(authorization: string): ClientCredentials {
  const match = /^Basic[ ]+([A-Za-z0-9+/]+=*)[ ]*$/i.exec(authorization);
  if (!match?.[1]) throw new OAuthError('invalid_client', 'The Authorization header is not valid HTTP Basic');
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0)
    throw new OAuthError('invalid_client', 'HTTP Basic credentials must be client_id:client_secret');
  return {
    clientId: formDecode(decoded.slice(0, colon)),
    clientSecret: formDecode(decoded.slice(colon + 1)),
    method: 'client_secret_basic',
  };
}

/** RFC 6749 Appendix B: both halves are form-urlencoded before Base64. */
function formDecode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    throw new OAuthError('invalid_client', 'HTTP Basic credentials are not correctly form-urlencoded');
  }
}
