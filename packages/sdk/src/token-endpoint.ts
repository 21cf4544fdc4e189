import { TRACE_ID_HEADER } from '@chekt-partner/contract/trace-id';
import { tokenErrorFromResponse } from './error-from-response.js';
import { ChektUnexpectedResponseError } from './errors.js';
import { type AccessTokenGrant, elapsedMs } from './token-cache.js';
import { newTraceId } from './trace-id.js';
import { send, type TransportSettings } from './transport.js';

export interface ClientCredentials {
  clientId: string;
  clientSecret: string;
}

/**
 * RFC 6749 §4.4, the client credentials grant. The client authenticates with HTTP Basic
 * (client_secret_basic), the method §2.3.1 obliges every authorization server to support.
 */
export async function requestAccessToken(
  transport: TransportSettings,
  tokenUrl: string,
  credentials: ClientCredentials,
  /** The trace id of the call that needs the token, so that one operation has one id. */
  traceId: string = newTraceId(),
): Promise<AccessTokenGrant> {
  const requestedAtMs = elapsedMs();
  const response = await send(transport, {
    url: tokenUrl,
    method: 'POST',
    headers: {
      authorization: basicAuthorization(credentials),
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    },
    body: new URLSearchParams({ grant_type: 'client_credentials' }).toString(),
    traceId,
  });
  if (response.status !== 200) {
    throw tokenErrorFromResponse(response.status, response.headers, response.body, traceId);
  }
  const body = response.body as Record<string, unknown> | undefined;
  const accessToken = body?.access_token;
  const tokenType = body?.token_type;
  const expiresIn = digitsAsNumber(body?.expires_in);
  if (
    typeof accessToken !== 'string' ||
    !SENDABLE_TOKEN.test(accessToken) ||
    typeof tokenType !== 'string' ||
    tokenType.toLowerCase() !== 'bearer' ||
    (expiresIn !== undefined && (typeof expiresIn !== 'number' || !(expiresIn > 0)))
  ) {
    throw new ChektUnexpectedResponseError(
      'The token endpoint answered 200 without a usable bearer access token',
      response.headers.get(TRACE_ID_HEADER) ?? traceId,
    );
  }
  return { accessToken, expiresInSeconds: expiresIn, requestedAtMs };
}

/**
 * RFC 6749 §A.12 allows only visible ASCII (and spaces) in a token; a bearer token is sent after
 * one space (RFC 6750 §2.1), so none in it either. Checked here: fetch would refuse any other
 * character with an error that quotes the whole Authorization header, token included.
 */
const SENDABLE_TOKEN = /^[\x21-\x7E]+$/;

/**
 * §5.1 makes expires_in a JSON number, but some servers (Azure AD's v1 endpoint, older gateways)
 * send the same digits as a string: the token is as good, so read them rather than refuse it.
 */
function digitsAsNumber(value: unknown): unknown {
  return typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
}

/** Appendix B: id and secret are form-urlencoded before being joined and base64-encoded. */
function basicAuthorization({ clientId, clientSecret }: ClientCredentials): string {
  // URLSearchParams serializes exactly as application/x-www-form-urlencoded requires.
  const encode = (value: string) => new URLSearchParams([['', value]]).toString().slice(1);
  return `Basic ${btoa(`${encode(clientId)}:${encode(clientSecret)}`)}`;
}
