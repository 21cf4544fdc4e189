import { SCOPES } from '../oauth.js';
import { ARMING_SETTINGS_ROUTE, TOKEN_PATH } from '../paths.js';
import { TRACE_ID_EXAMPLE } from '../trace-id.js';
import { ARMING_SETTINGS_TAG, armingSettingsPathItem } from './arming-settings-path.js';
import { DISCOVERY_TAG, discoveryPathItems, OPERATIONS_TAG } from './discovery-paths.js';
import { componentHeaders, componentParameters } from './headers.js';
import { componentSchemas } from './schemas.js';
import { securityTypesTable } from './security-types-table.js';
import { OAUTH_TAG, tokenPathItem } from './token-path.js';
import type { OpenApiDocument } from './types.js';

export interface OpenApiOptions {
  /** The API's base URL as callers reach it, e.g. `https://api.example.com`; no trailing slash. */
  serverUrl: string;
  /** The token issuer, when it is not `serverUrl` (the metadata's example names it). */
  issuer?: string;
}

/**
 * The OpenAPI 3.1 document of the API, built from the contract's own schemas, codes and examples.
 * Pure: the same options give the same document, so the server can serve it and CI can lint it.
 */
export function buildOpenApiDocument({ serverUrl, issuer }: OpenApiOptions): OpenApiDocument {
  const base = serverUrl.replace(/\/+$/, '');
  return {
    openapi: '3.1.0',
    info: {
      title: 'CHeKT Partner API: Arming Settings',
      version: '1.0.0',
      summary: 'Configure site arming and security system settings',
      description: overview(),
    },
    servers: [{ url: base, description: 'This server' }],
    tags: [
      {
        name: ARMING_SETTINGS_TAG,
        description: 'Retrieve and update the security system configuration of customer sites',
      },
      { name: OAUTH_TAG, description: 'Access tokens for the API (OAuth 2.0 client credentials)' },
      { name: DISCOVERY_TAG, description: "The authorization server's public keys and metadata" },
      { name: OPERATIONS_TAG, description: "Probes for the operator's orchestrator and load balancer" },
    ],
    paths: {
      [toOpenApiPath(ARMING_SETTINGS_ROUTE)]: armingSettingsPathItem(),
      [TOKEN_PATH]: tokenPathItem(),
      ...discoveryPathItems(issuer?.replace(/\/+$/, '') ?? base),
    },
    components: {
      schemas: componentSchemas(),
      parameters: componentParameters(),
      headers: componentHeaders(),
      securitySchemes: {
        oauth2: {
          type: 'oauth2',
          description:
            'OAuth 2.0 client credentials grant; send the token as `Authorization: Bearer <token>`',
          flows: { clientCredentials: { tokenUrl: `${base}${TOKEN_PATH}`, scopes: { ...SCOPES } } },
        },
        clientBasic: {
          type: 'http',
          scheme: 'basic',
          description: `Token endpoint only: client_id and client_secret as HTTP Basic credentials (client_secret_basic)`,
        },
      },
    },
  };
}

/** Fastify's `:name` path segments in OpenAPI's `{name}` form. */
export function toOpenApiPath(route: string): string {
  return route.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function overview(): string {
  return [
    'The Arming Settings API allows you to retrieve and update security system configuration for customer ' +
      'sites. Arming settings determine how the security system operates and which devices are monitored.',
    '',
    '## Security types',
    '',
    ...securityTypesTable(),
    '',
    '## Authentication',
    '',
    `Get an access token from \`POST ${TOKEN_PATH}\` with your client credentials (OAuth 2.0 client ` +
      'credentials grant), then send it as `Authorization: Bearer <token>`. On this page: **Authorize**, ' +
      'enter your client_id and client_secret, then **Try it out** on an operation.',
    '',
    '## Tracing',
    '',
    `Send \`x-partner-trace-id\` (for example \`${TRACE_ID_EXAMPLE}\`) to follow a request through the ` +
      'logs. Every response carries it back, a fresh UUID when you sent none, and the error bodies of ' +
      "the API repeat it (the token endpoint's, in OAuth's format, do not).",
    '',
    '## Errors',
    '',
    'Errors are JSON: `{"error": {"code", "message", "trace_id", "request_id", "field"}}`, with a stable ' +
      'snake_case `code` (`field` only when one input is at fault). The token endpoint answers in ' +
      "OAuth's own format instead (RFC 6749 §5.2). A path not listed here (besides this document at `/openapi.json`, its page at `/docs` and the page's files under `/docs/`) is a 404 `not_found`; a method a " +
      'path does not list (HEAD goes with GET) is a 405 `method_not_allowed` with an `Allow` header. Bytes that are not an ' +
      'HTTP/1.1 request, and a CONNECT, are a 400 `bad_request`, a request line over 16 KiB a 414 `uri_too_long`, ' +
      'headers over 16 KiB a 431 `headers_too_large`, and a ' +
      'request that does not arrive whole within 60 s a 408 `request_timeout`; each closes the connection. ' +
      'An HTTP/1.1 request without one valid `Host` header, with two `Authorization` or two `Content-Type` ' +
      'headers, or with a ' +
      '`Transfer-Encoding` besides `chunked`, is a 400 `bad_request` naming the header in `field`.',
  ].join('\n');
}
