import {
  AUTHORIZATION_SERVER_METADATA_PATH,
  armingSettingsPath,
  ERROR_CODES,
  JWKS_PATH,
  LIVENESS_PATH,
  READINESS_PATH,
  TOKEN_PATH,
  TRACE_ID_EXAMPLE,
} from '@chekt-partner/contract';
import SqliteDatabase from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBackend } from './support/database.js';
import { startExampleServer } from './support/example-server.js';
import type { InProcessServer } from './support/in-process-server.js';
import { openApiConformance } from './support/openapi-conformance.js';
import { addClient, fetchToken, type TestClient } from './support/provision.js';

/**
 * No drift: real requests to the real server, covering every status the arming and token routes
 * answer with, and each response (status, headers, body) held to the served OpenAPI document.
 * A server change the document does not describe fails here.
 */
const SITE = armingSettingsPath(12345, 1);
const OTHER_DEALER_SITE = armingSettingsPath(777, 1);

interface Case {
  name: string;
  method: string;
  path: string;
  status: number;
  code?: string;
  headers?: (tokens: Tokens) => Record<string, string>;
  body?: string | URLSearchParams | ((tokens: Tokens) => URLSearchParams);
}

interface Tokens {
  full: string;
  readOnly: string;
  platform: string;
  client: TestClient;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const json = (token: string) => ({ ...bearer(token), 'content-type': 'application/json' });
const form = (fields: Record<string, string>) => new URLSearchParams(fields);

const CASES: Case[] = [
  { name: 'GET 200', method: 'GET', path: SITE, status: 200, headers: (t) => bearer(t.full) },
  {
    name: 'GET 200 echoing the trace id',
    method: 'GET',
    path: SITE,
    status: 200,
    headers: (t) => ({ ...bearer(t.full), 'x-partner-trace-id': TRACE_ID_EXAMPLE }),
  },
  { name: 'HEAD 200', method: 'HEAD', path: SITE, status: 200, headers: (t) => bearer(t.full) },
  {
    name: 'unusable trace id',
    method: 'GET',
    path: SITE,
    status: 400,
    code: 'invalid_trace_id',
    headers: (t) => ({ ...bearer(t.full), 'x-partner-trace-id': 'not visible ascii' }),
  },
  { name: 'no token', method: 'GET', path: SITE, status: 401, code: 'unauthorized' },
  {
    name: 'garbage token',
    method: 'GET',
    path: SITE,
    status: 401,
    code: 'invalid_token',
    headers: () => bearer('not.a.jwt'),
  },
  {
    name: 'credentials of another scheme',
    method: 'PATCH',
    path: SITE,
    status: 401,
    code: 'unauthorized',
    headers: () => ({ authorization: 'Basic Zm9vOmJhcg==' }),
  },
  {
    name: 'a malformed bearer token',
    method: 'PATCH',
    path: SITE,
    status: 401,
    code: 'invalid_token',
    headers: () => ({ authorization: 'Bearer a b' }),
  },
  {
    name: 'dealer not granted',
    method: 'GET',
    path: OTHER_DEALER_SITE,
    status: 403,
    code: 'forbidden',
    headers: (t) => bearer(t.full),
  },
  {
    name: 'read-only token on PATCH',
    method: 'PATCH',
    path: SITE,
    status: 403,
    code: 'insufficient_scope',
    headers: (t) => json(t.readOnly),
    body: '{"security_type": 2}',
  },
  {
    name: 'site not found',
    method: 'GET',
    path: armingSettingsPath(12345, 999),
    status: 404,
    code: 'site_not_found',
    headers: (t) => bearer(t.full),
  },
  {
    name: 'dealer not found (platform client)',
    method: 'GET',
    path: armingSettingsPath(99999, 1),
    status: 404,
    code: 'dealer_not_found',
    headers: (t) => bearer(t.platform),
  },
  {
    name: 'GET with If-Match a tag: no tag of ours matches',
    method: 'GET',
    path: SITE,
    status: 412,
    code: 'precondition_failed',
    headers: (t) => ({ ...bearer(t.full), 'if-match': '"v1"' }),
  },
  {
    name: 'GET with If-None-Match: *',
    method: 'GET',
    path: SITE,
    status: 304,
    headers: (t) => ({ ...bearer(t.full), 'if-none-match': '*' }),
  },
  {
    name: 'PATCH with If-Match a tag',
    method: 'PATCH',
    path: SITE,
    status: 412,
    code: 'precondition_failed',
    headers: (t) => ({ ...json(t.full), 'if-match': '"v1"' }),
    body: '{"security_type": 3}',
  },
  {
    name: 'PATCH with If-None-Match: *, and a body that would be a 400',
    method: 'PATCH',
    path: SITE,
    status: 412,
    code: 'precondition_failed',
    headers: (t) => ({ ...json(t.full), 'if-none-match': '*' }),
    body: '{"security_type": 9}',
  },
  {
    name: 'PATCH 200',
    method: 'PATCH',
    path: SITE,
    status: 200,
    headers: (t) => json(t.full),
    body: '{"security_type": 3}',
  },
  ...['"3"', '3.5', '0', '5', 'null', 'true'].map(
    (value): Case => ({
      name: `security_type ${value}`,
      method: 'PATCH',
      path: SITE,
      status: 400,
      code: 'invalid_security_type',
      headers: (t) => json(t.full),
      body: `{"security_type": ${value}}`,
    }),
  ),
  {
    name: 'security_type missing',
    method: 'PATCH',
    path: SITE,
    status: 400,
    code: 'invalid_security_type',
    headers: (t) => json(t.full),
    body: '{}',
  },
  {
    name: 'unknown field',
    method: 'PATCH',
    path: SITE,
    status: 400,
    code: 'unknown_field',
    headers: (t) => json(t.full),
    body: '{"security_type": 3, "colour": "red"}',
  },
  {
    name: 'not an object',
    method: 'PATCH',
    path: SITE,
    status: 400,
    code: 'invalid_body',
    headers: (t) => json(t.full),
    body: '[3]',
  },
  {
    name: 'empty JSON body',
    method: 'PATCH',
    path: SITE,
    status: 400,
    code: 'invalid_body',
    headers: (t) => json(t.full),
    body: '',
  },
  {
    name: 'malformed JSON',
    method: 'PATCH',
    path: SITE,
    status: 400,
    code: 'malformed_json',
    headers: (t) => json(t.full),
    body: '{"security_type": ',
  },
  {
    name: 'body too large',
    method: 'PATCH',
    path: SITE,
    status: 413,
    code: 'payload_too_large',
    headers: (t) => json(t.full),
    body: `{"security_type": 3, "padding": "${'x'.repeat(20000)}"}`,
  },
  {
    name: 'not JSON',
    method: 'PATCH',
    path: SITE,
    status: 415,
    code: 'unsupported_media_type',
    headers: (t) => ({ ...bearer(t.full), 'content-type': 'text/plain' }),
    body: 'security_type=3',
  },
  ...['PUT', 'POST', 'DELETE'].map(
    (method): Case => ({
      name: `${method} not allowed`,
      method,
      path: SITE,
      status: 405,
      code: 'method_not_allowed',
      headers: (t) => bearer(t.full),
    }),
  ),
  { name: 'unknown path', method: 'GET', path: '/partner/v1/dealers', status: 404, code: 'not_found' },
  {
    name: 'token, client_secret_post',
    method: 'POST',
    path: TOKEN_PATH,
    status: 200,
    body: (t) =>
      form({
        grant_type: 'client_credentials',
        client_id: t.client.clientId,
        client_secret: t.client.clientSecret,
      }),
  },
  {
    name: 'token, client_secret_basic, one scope',
    method: 'POST',
    path: TOKEN_PATH,
    status: 200,
    headers: (t) => ({
      authorization: `Basic ${Buffer.from(`${t.client.clientId}:${t.client.clientSecret}`).toString('base64')}`,
    }),
    body: form({ grant_type: 'client_credentials', scope: 'arming_settings:read' }),
  },
  {
    name: 'token, JSON instead of a form',
    method: 'POST',
    path: TOKEN_PATH,
    status: 400,
    code: 'invalid_request',
    headers: () => ({ 'content-type': 'application/json' }),
    body: '{"grant_type": "client_credentials"}',
  },
  {
    name: 'token, repeated parameter',
    method: 'POST',
    path: TOKEN_PATH,
    status: 400,
    code: 'invalid_request',
    body: 'grant_type=client_credentials&grant_type=client_credentials',
  },
  {
    name: 'token, unusable trace id',
    method: 'POST',
    path: TOKEN_PATH,
    status: 400,
    code: 'invalid_request',
    headers: () => ({ 'x-partner-trace-id': 'not visible ascii' }),
    body: form({ grant_type: 'client_credentials' }),
  },
  {
    name: 'token, other grant',
    method: 'POST',
    path: TOKEN_PATH,
    status: 400,
    code: 'unsupported_grant_type',
    body: (t) =>
      form({ grant_type: 'password', client_id: t.client.clientId, client_secret: t.client.clientSecret }),
  },
  {
    name: 'token, unknown scope',
    method: 'POST',
    path: TOKEN_PATH,
    status: 400,
    code: 'invalid_scope',
    body: (t) =>
      form({
        grant_type: 'client_credentials',
        client_id: t.client.clientId,
        client_secret: t.client.clientSecret,
        scope: 'arming_settings:delete',
      }),
  },
  {
    name: 'token, wrong secret',
    method: 'POST',
    path: TOKEN_PATH,
    status: 401,
    code: 'invalid_client',
    body: (t) =>
      form({ grant_type: 'client_credentials', client_id: t.client.clientId, client_secret: 'wrong' }),
  },
  {
    name: 'token, no credentials',
    method: 'POST',
    path: TOKEN_PATH,
    status: 401,
    code: 'invalid_client',
    body: form({ grant_type: 'client_credentials' }),
  },
  ...[JWKS_PATH, AUTHORIZATION_SERVER_METADATA_PATH, LIVENESS_PATH, READINESS_PATH].map(
    (path): Case => ({ name: `discovery and probes: ${path}`, method: 'GET', path, status: 200 }),
  ),
  {
    name: 'probe with an unusable trace id',
    method: 'GET',
    path: LIVENESS_PATH,
    status: 400,
    code: 'invalid_trace_id',
    headers: () => ({ 'x-partner-trace-id': 'not visible ascii' }),
  },
  {
    name: 'a method the probe path does not list',
    method: 'POST',
    path: LIVENESS_PATH,
    status: 405,
    code: 'method_not_allowed',
  },
];

async function replay(
  baseUrl: string,
  request: {
    method: string;
    path: string;
    headers?: Record<string, string>;
    body?: string | URLSearchParams;
  },
) {
  const url = `${baseUrl}${request.path}`;
  const response = await fetch(url, { method: request.method, headers: request.headers, body: request.body });
  const body = await response.text();
  const problems = openApiConformance().problems({
    method: request.method,
    url,
    status: response.status,
    headers: response.headers,
    body,
  });
  return { status: response.status, body, problems };
}

function errorCodeOf(body: string): unknown {
  const parsed = JSON.parse(body) as { error: string | { code: string } };
  return typeof parsed.error === 'string' ? parsed.error : parsed.error.code;
}

describe('the OpenAPI document describes what the server really answers', () => {
  let server: InProcessServer;
  let tokens: Tokens;

  beforeAll(async () => {
    const example = await startExampleServer();
    server = example.server;
    const { client } = example;
    const platform = await addClient(server.store, 'all', 'platform');
    tokens = {
      client,
      full: await fetchToken(server.url, client),
      readOnly: await fetchToken(server.url, client, 'arming_settings:read'),
      platform: await fetchToken(server.url, platform),
    };
  });

  afterAll(async () => {
    await server?.close();
  });

  it.each(CASES)('$name: $method $path -> $status', async (testCase) => {
    const body = typeof testCase.body === 'function' ? testCase.body(tokens) : testCase.body;
    const result = await replay(server.url, {
      method: testCase.method,
      path: testCase.path,
      headers: testCase.headers?.(tokens),
      body,
    });
    expect(result.status, result.body).toBe(testCase.status);
    if (testCase.code && testCase.method !== 'HEAD') expect(errorCodeOf(result.body)).toBe(testCase.code);
    expect(result.problems).toEqual([]);
  });

  // The lock is SQLite's; PostgreSQL's unavailability (503) is provoked by the tests in postgres/,
  // whose responses the conformance setup file checks as well.
  it.skipIf(testBackend() !== 'sqlite')(
    '503 with Retry-After while the database is locked by another process',
    async () => {
      // A real lock on the real file, as a long operator transaction would hold it: the write waits
      // out the busy timeout, then the server answers 503.
      const file = server.database.url.slice('sqlite:'.length);
      const other = new SqliteDatabase(file);
      other.exec('BEGIN EXCLUSIVE');
      try {
        const result = await replay(server.url, {
          method: 'PATCH',
          path: SITE,
          headers: json(tokens.full),
          body: '{"security_type": 4}',
        });
        expect(result.status, result.body).toBe(503);
        expect(errorCodeOf(result.body)).toBe('service_unavailable');
        expect(result.problems).toEqual([]);
      } finally {
        other.exec('ROLLBACK');
        other.close();
      }
    },
  );

  it('covers every status the contract maps an arming or token error code to', () => {
    const statuses = new Set(CASES.map((testCase) => testCase.status));
    const sendable = Object.values(ERROR_CODES)
      .map(({ status }) => status)
      // 429: nothing in the server rate-limits yet; 500 has its own test below; 503 above; 408,
      // 414 and 431 answer bytes that never became a request, outside every operation (http-edges.test.ts).
      .filter((status) => ![408, 414, 429, 431, 500, 503].includes(status));
    expect([...new Set(sendable)].filter((status) => !statuses.has(status))).toEqual([]);
  });
});

describe('a failure inside the server', () => {
  it('is a documented 500 whose body tells nothing of the internals, and readiness says 503', async () => {
    const { server, client } = await startExampleServer();
    const token = await fetchToken(server.url, client);
    // The database handle is gone: not "unavailable" (which would be a 503), a fault of ours.
    await server.store.close();
    try {
      const result = await replay(server.url, { method: 'GET', path: SITE, headers: bearer(token) });
      expect(result.status, result.body).toBe(500);
      expect(errorCodeOf(result.body)).toBe('internal_error');
      expect(result.body).not.toMatch(/destroyed|stack|kysely/i);
      expect(result.problems).toEqual([]);
      const tokenRequest = await replay(server.url, {
        method: 'POST',
        path: TOKEN_PATH,
        body: form({ grant_type: 'client_credentials', client_id: 'someone', client_secret: 'secret' }),
      });
      expect(tokenRequest.status, tokenRequest.body).toBe(500);
      expect(tokenRequest.problems).toEqual([]);
      const readiness = await replay(server.url, { method: 'GET', path: READINESS_PATH });
      expect(readiness.status, readiness.body).toBe(503);
      expect(readiness.problems).toEqual([]);
    } finally {
      await server.app.close();
      await server.database.drop();
    }
  });
});
