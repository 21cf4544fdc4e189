import { ERROR_CODES, type ErrorCode } from '../errors.js';
import { errorExample } from './examples.js';
import { headerRef, traceIdHeader } from './headers.js';
import { schemaRef } from './schemas.js';
import type { JsonObject } from './types.js';

/**
 * What any operation may answer before its route runs, besides its own errors: a bad trace id, a
 * Host, Authorization or Transfer-Encoding header that breaks HTTP's rules (bad_request), and a
 * failure of ours.
 */
export const REQUEST_ERRORS: readonly ErrorCode[] = ['invalid_trace_id', 'bad_request', 'internal_error'];

/** The API reference's own words for the statuses it lists, with its "Solution" column. */
const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request: the request is malformed or a value is invalid',
  401: 'Unauthorized: no token, or an invalid or expired one. Get a new access token',
  403: 'Forbidden: access denied. Verify your permissions (dealer grant, token scope)',
  404: 'Not Found: the site or dealer does not exist. Check the IDs',
  412: 'Precondition Failed: If-Match other than `*`, or If-None-Match: * on PATCH (arming settings have no entity tags)',
  413: 'Payload Too Large: the request body is larger than this endpoint accepts',
  415: 'Unsupported Media Type: send Content-Type: application/json, uncompressed (no Content-Encoding)',
  500: 'Internal Server Error: nothing you can fix; quote the trace id when you report it',
  503: 'Service Unavailable: the database is unreachable; retry after Retry-After seconds',
};

/**
 * The error responses of an operation, from the error codes it can answer with: one response per
 * status, the envelope schema, the headers that status carries, and one example per code.
 */
export function errorResponses(
  codes: readonly ErrorCode[],
  messages: Partial<Record<ErrorCode, string>> = {},
): Record<string, JsonObject> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) {
    const status = ERROR_CODES[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const responses: Record<string, JsonObject> = {};
  for (const [status, statusCodes] of [...byStatus].sort(([a], [b]) => a - b)) {
    responses[String(status)] = {
      description: `${statusText(status, statusCodes)}. Codes: ${statusCodes.map((code) => `\`${code}\``).join(', ')}.`,
      headers: { ...traceIdHeader(), ...statusHeaders(status, statusCodes) },
      content: {
        'application/json': {
          schema: schemaRef('Error'),
          examples: Object.fromEntries(
            statusCodes.map((code) => [
              code,
              { summary: ERROR_CODES[code].message, value: errorExample(code, messages[code]) },
            ]),
          ),
        },
      },
    };
  }
  return responses;
}

/**
 * The reference's 400 is about security_type: said only where a body can carry one (PATCH), not on
 * a GET or a probe, whose 400s are about the request's headers.
 */
function statusText(status: number, codes: readonly ErrorCode[]): string {
  const text = STATUS_TEXT[status] ?? 'Error';
  return codes.includes('invalid_security_type') ? `${text} (security_type: use values 1-4 only)` : text;
}

function statusHeaders(status: number, codes: readonly ErrorCode[]): JsonObject {
  // Two Authorization headers are a bad request about the Bearer token (RFC 6750 §3.1).
  if (status === 400 && codes.includes('bad_request')) {
    return optionalChallenge(
      'invalid_request',
      'sent with `bad_request` only when `field` is `authorization`',
    );
  }
  if (status === 401) return { 'WWW-Authenticate': headerRef('BearerChallenge') };
  // Only the scope failure carries a challenge; a dealer the client is not granted does not.
  if (status === 403 && codes.includes('insufficient_scope')) {
    return optionalChallenge('insufficient_scope', 'sent with insufficient_scope only');
  }
  // Only a PATCH takes a body among the operations these responses describe.
  if (status === 415) {
    return { 'Accept-Encoding': headerRef('AcceptEncoding'), 'Accept-Patch': headerRef('AcceptPatch') };
  }
  if (status === 503) return { 'Retry-After': headerRef('RetryAfter') };
  return {};
}

/** A Bearer challenge (RFC 6750 §3) that only some of a status's codes carry. */
function optionalChallenge(error: string, when: string): JsonObject {
  return {
    'WWW-Authenticate': {
      description: `RFC 6750 §3 challenge, ${when}`,
      required: false,
      schema: { type: 'string' },
      example: `Bearer realm="chekt-partner", error="${error}"`,
    },
  };
}
