import { type Static, Type } from 'typebox';

/**
 * Every error code the API answers with, and `rate_limited`, reserved: no server of this version
 * limits rates, but clients (the SDK's retries) already handle a 429. Clients branch on these
 * strings, so they are a closed set: adding one is a contract change, renaming one is a breaking
 * change.
 */
export const ERROR_CODES = {
  invalid_security_type: { status: 400, message: 'security_type must be one of the integers 1, 2, 3 or 4' },
  unknown_field: { status: 400, message: 'The request body has a field this endpoint does not accept' },
  invalid_body: { status: 400, message: 'The request body must be a JSON object' },
  malformed_json: { status: 400, message: 'The request body is not valid JSON' },
  invalid_trace_id: {
    status: 400,
    message: 'x-partner-trace-id must be 1-128 visible ASCII characters (a UUID is recommended)',
  },
  bad_request: { status: 400, message: 'The request is malformed' },
  unauthorized: { status: 401, message: 'A valid bearer access token is required' },
  invalid_token: { status: 401, message: 'The access token is invalid, expired or revoked' },
  forbidden: { status: 403, message: 'This client is not granted access to that dealer' },
  insufficient_scope: { status: 403, message: 'The access token lacks the scope this operation needs' },
  dealer_not_found: { status: 404, message: 'The dealer does not exist' },
  site_not_found: { status: 404, message: 'The site does not exist under that dealer' },
  not_found: { status: 404, message: 'No such endpoint' },
  method_not_allowed: { status: 405, message: 'This endpoint does not support that method' },
  request_timeout: { status: 408, message: 'The request did not arrive in time' },
  precondition_failed: {
    status: 412,
    message: 'A precondition (If-Match or If-None-Match) does not hold: this server sends no entity tags',
  },
  payload_too_large: { status: 413, message: 'The request body is too large' },
  uri_too_long: { status: 414, message: 'The request target is too long' },
  unsupported_media_type: { status: 415, message: 'The request body must be application/json' },
  rate_limited: { status: 429, message: 'Too many requests' },
  headers_too_large: { status: 431, message: 'The request headers are too large' },
  internal_error: { status: 500, message: 'An internal error occurred' },
  service_unavailable: { status: 503, message: 'The service is temporarily unavailable; retry shortly' },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * The codes that say what was wrong with a request's body. A request that has one is answered
 * after its 401, 403 and 404 (the status precedence), and GET, which has no body, never has one.
 */
export const BODY_ERROR_CODES: readonly ErrorCode[] = [
  'invalid_security_type',
  'unknown_field',
  'invalid_body',
  'malformed_json',
  'payload_too_large',
  'unsupported_media_type',
];

export const ErrorBodySchema = Type.Object(
  {
    error: Type.Object(
      {
        code: Type.String({
          description: 'Stable snake_case error code',
          examples: ['invalid_security_type'],
        }),
        message: Type.String({ description: 'Human-readable explanation' }),
        trace_id: Type.String({ description: "The request's x-partner-trace-id" }),
        request_id: Type.String({
          description: "Same value as trace_id, under the Partner API's field name",
        }),
        field: Type.Optional(Type.String({ description: 'The input at fault, when exactly one is' })),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false, $id: 'Error' },
);

export type ErrorBody = Static<typeof ErrorBodySchema>;
