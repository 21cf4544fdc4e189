import { errorResponses } from './error-responses.js';
import { OAUTH_ERROR_EXAMPLES, TOKEN_RESPONSE_EXAMPLE } from './examples.js';
import { headerRef, parameterRef, traceIdHeader } from './headers.js';
import { schemaRef } from './schemas.js';
import type { JsonObject } from './types.js';

export const OAUTH_TAG = 'OAuth';

/** POST /oauth/token: RFC 6749 §4.4, answering in the RFC's own error format (§5.2). */
export function tokenPathItem(): JsonObject {
  return {
    post: {
      tags: [OAUTH_TAG],
      operationId: 'issueToken',
      summary: 'Get an access token',
      description:
        'The OAuth 2.0 client credentials grant (RFC 6749 §4.4). Authenticate the client with HTTP ' +
        'Basic (`client_secret_basic`) or with `client_id` and `client_secret` in the form ' +
        '(`client_secret_post`), never both. Without `scope` the token carries every scope.',
      // Either HTTP Basic, or no scheme at all because the credentials travel in the form body.
      security: [{ clientBasic: [] }, {}],
      parameters: [parameterRef('TraceId')],
      requestBody: {
        required: true,
        content: {
          'application/x-www-form-urlencoded': {
            schema: schemaRef('TokenRequest'),
            examples: {
              client_secret_post: {
                summary: 'Client credentials in the form body',
                value: {
                  grant_type: 'client_credentials',
                  client_id: 'demo-client',
                  client_secret: 'cps_...',
                },
              },
              client_secret_basic: {
                summary: 'Client credentials in an HTTP Basic header, one scope only',
                value: { grant_type: 'client_credentials', scope: 'arming_settings:read' },
              },
            },
          },
        },
      },
      responses: {
        200: {
          description: 'An access token (a JWT) to send as `Authorization: Bearer <token>`',
          headers: {
            ...traceIdHeader(),
            'Cache-Control': headerRef('NoStore'),
            Pragma: headerRef('NoCache'),
          },
          content: {
            'application/json': {
              schema: schemaRef('TokenResponse'),
              examples: { token: { summary: 'A token for every scope', value: TOKEN_RESPONSE_EXAMPLE } },
            },
          },
        },
        400: {
          ...oauthErrorResponse('The token request is invalid (RFC 6749 §5.2)', [
            'invalid_request',
            'unsupported_grant_type',
            'invalid_scope',
          ]),
          headers: { ...oauthErrorHeaders(), 'Accept-Encoding': headerRef('AcceptEncoding') },
        },
        401: {
          ...oauthErrorResponse('Client authentication failed (RFC 6749 §5.2)', ['invalid_client']),
          headers: {
            ...oauthErrorHeaders(),
            'WWW-Authenticate': headerRef('BasicChallenge'),
          },
        },
        ...serverErrorResponses(),
      },
    },
  };
}

function oauthErrorResponse(
  description: string,
  codes: readonly (keyof typeof OAUTH_ERROR_EXAMPLES)[],
): JsonObject {
  return {
    description,
    headers: oauthErrorHeaders(),
    content: {
      'application/json': {
        schema: schemaRef('OAuthError'),
        examples: Object.fromEntries(codes.map((code) => [code, OAUTH_ERROR_EXAMPLES[code]])),
      },
    },
  };
}

function oauthErrorHeaders(): JsonObject {
  return { ...traceIdHeader(), 'Cache-Control': headerRef('NoStore'), Pragma: headerRef('NoCache') };
}

/** The API's envelope for its own failures, still marked no-store like every token response. */
function serverErrorResponses(): Record<string, JsonObject> {
  const responses = errorResponses(['internal_error', 'service_unavailable']);
  for (const response of Object.values(responses)) {
    response.headers = { ...(response.headers as JsonObject), ...oauthErrorHeaders() };
  }
  return responses;
}
