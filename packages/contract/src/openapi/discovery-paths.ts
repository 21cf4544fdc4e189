import { AUTHORIZATION_SERVER_METADATA_PATH, JWKS_PATH, LIVENESS_PATH, READINESS_PATH } from '../paths.js';
import { errorResponses, REQUEST_ERRORS } from './error-responses.js';
import { parameterRef, traceIdHeader } from './headers.js';
import { schemaRef } from './schemas.js';
import type { JsonObject } from './types.js';

export const DISCOVERY_TAG = 'Discovery';
export const OPERATIONS_TAG = 'Operations';

/** The authorization server's public keys and metadata, and the operators' probes. */
export function discoveryPathItems(issuer: string): Record<string, JsonObject> {
  return {
    [JWKS_PATH]: {
      get: {
        tags: [DISCOVERY_TAG],
        operationId: 'getJwks',
        summary: 'Public keys of the access tokens (RFC 7517)',
        description: 'Verify an access token with the key whose `kid` its header names.',
        security: [],
        parameters: [parameterRef('TraceId')],
        responses: {
          200: ok('The public keys', 'Jwks', {
            'Cache-Control': {
              description: 'Keys change rarely; caches may keep them a few minutes',
              required: true,
              schema: { type: 'string' },
              example: 'public, max-age=300',
            },
          }),
          ...errorResponses(REQUEST_ERRORS),
        },
      },
    },
    [AUTHORIZATION_SERVER_METADATA_PATH]: {
      get: {
        tags: [DISCOVERY_TAG],
        operationId: 'getAuthorizationServerMetadata',
        summary: 'Authorization server metadata (RFC 8414)',
        description: 'Where the token endpoint and keys are, and what they support.',
        security: [],
        parameters: [parameterRef('TraceId')],
        responses: {
          200: ok(
            'The metadata',
            'AuthorizationServerMetadata',
            {},
            {
              issuer,
              token_endpoint: `${issuer}/oauth/token`,
              jwks_uri: `${issuer}${JWKS_PATH}`,
              grant_types_supported: ['client_credentials'],
              token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
              scopes_supported: ['arming_settings:read', 'arming_settings:write'],
              response_types_supported: [],
            },
          ),
          ...errorResponses(REQUEST_ERRORS),
        },
      },
    },
    [LIVENESS_PATH]: {
      get: {
        tags: [OPERATIONS_TAG],
        operationId: 'getLiveness',
        summary: 'Liveness: the process answers',
        description: 'Restart the instance when this stops answering.',
        security: [],
        parameters: [parameterRef('TraceId')],
        responses: {
          200: ok('Alive', 'Health', {}, { status: 'ok' }),
          ...errorResponses(REQUEST_ERRORS),
        },
      },
    },
    [READINESS_PATH]: {
      get: {
        tags: [OPERATIONS_TAG],
        operationId: 'getReadiness',
        summary: 'Readiness: the database answers',
        description: 'Take the instance out of a load balancer while this is 503.',
        security: [],
        parameters: [parameterRef('TraceId')],
        responses: {
          200: ok('Ready to serve', 'Health', {}, { status: 'ready' }),
          ...errorResponses([...REQUEST_ERRORS, 'service_unavailable']),
        },
      },
    },
  };
}

function ok(
  description: string,
  schema: 'Jwks' | 'AuthorizationServerMetadata' | 'Health',
  headers: JsonObject,
  example?: unknown,
): JsonObject {
  const media: JsonObject = { schema: schemaRef(schema) };
  if (example !== undefined) media.example = example;
  return { description, headers: { ...traceIdHeader(), ...headers }, content: { 'application/json': media } };
}
