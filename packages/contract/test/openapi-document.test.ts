import { describe, expect, it } from 'vitest';
import {
  ARMING_SETTINGS_ROUTE,
  buildOpenApiDocument,
  ERROR_CODES,
  SCOPES,
  SECURITY_TYPES,
  TOKEN_PATH,
  TRACE_ID_EXAMPLE,
} from '../src/index.js';
import { toOpenApiPath } from '../src/openapi/document.js';

const document = buildOpenApiDocument({ serverUrl: 'https://api.example.com/' });
const text = JSON.stringify(document);
const armingPath = document.paths[toOpenApiPath(ARMING_SETTINGS_ROUTE)];
const tokenPath = document.paths[TOKEN_PATH];

/** A nested value of the JSON document, by keys. */
function at(value: unknown, ...keys: string[]): unknown {
  return keys.reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], value);
}

const JSON_EXAMPLES = ['content', 'application/json', 'examples'];

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.1 for the server it is built for', () => {
    expect(document.openapi).toBe('3.1.0');
    expect(document.servers).toEqual([{ url: 'https://api.example.com', description: 'This server' }]);
    expect(Object.keys(document.paths)).toEqual([
      '/partner/v1/dealers/{dealerId}/sites/{siteId}/arming-settings',
      '/oauth/token',
      '/.well-known/jwks.json',
      '/.well-known/oauth-authorization-server',
      '/healthz',
      '/readyz',
    ]);
  });

  it('lists, on every operation but the token endpoint, what any request may be refused for before its route', () => {
    for (const [path, item] of Object.entries(document.paths)) {
      if (path === TOKEN_PATH) continue;
      for (const [method, operation] of Object.entries(item as Record<string, unknown>)) {
        if (!['get', 'post', 'patch'].includes(method)) continue;
        const codes = Object.keys(at(operation, 'responses', '400', ...JSON_EXAMPLES) as object);
        expect(codes, `${method} ${path}`).toEqual(
          expect.arrayContaining(['invalid_trace_id', 'bad_request']),
        );
      }
    }
  });

  it('tells how to fix security_type only on the operation that takes one', () => {
    const badRequest = (path: string, method: string) =>
      String(at(document.paths[path], method, 'responses', '400', 'description'));
    expect(badRequest(toOpenApiPath(ARMING_SETTINGS_ROUTE), 'patch')).toContain('security_type');
    for (const [path, method] of [
      [toOpenApiPath(ARMING_SETTINGS_ROUTE), 'get'],
      ['/.well-known/jwks.json', 'get'],
      ['/healthz', 'get'],
      ['/readyz', 'get'],
    ] as const) {
      expect(badRequest(path, method), `${method} ${path}`).not.toContain('security_type');
    }
  });

  it('names the scope each arming operation needs in its insufficient_scope example', () => {
    const message = (method: string) =>
      at(
        armingPath,
        method,
        'responses',
        '403',
        ...JSON_EXAMPLES,
        'insufficient_scope',
        'value',
        'error',
        'message',
      );
    expect(message('get')).toBe('This operation needs the arming_settings:read scope');
    expect(message('patch')).toBe('This operation needs the arming_settings:write scope');
  });

  it('is a pure function of its options', () => {
    expect(buildOpenApiDocument({ serverUrl: 'https://api.example.com' })).toEqual(document);
  });

  it('declares the oauth2 client-credentials scheme with its token URL and scopes', () => {
    expect(document.components.securitySchemes.oauth2).toMatchObject({
      type: 'oauth2',
      flows: { clientCredentials: { tokenUrl: 'https://api.example.com/oauth/token', scopes: SCOPES } },
    });
    expect(at(armingPath, 'get', 'security')).toEqual([{ oauth2: ['arming_settings:read'] }]);
    expect(at(armingPath, 'patch', 'security')).toEqual([{ oauth2: ['arming_settings:write'] }]);
  });

  it("carries the API reference's examples", () => {
    const get200 = at(armingPath, 'get', 'responses', '200', ...JSON_EXAMPLES, 'seed', 'value');
    expect(get200).toEqual({
      site_id: 1,
      external_site_id: '1234567890',
      name: 'Gangnam Headquarters',
      security_type: 1,
    });
    const patchBody = at(armingPath, 'patch', 'requestBody', ...JSON_EXAMPLES, 'seed', 'value');
    expect(patchBody).toEqual({ security_type: 3 });
    const patch200 = at(armingPath, 'patch', 'responses', '200', ...JSON_EXAMPLES, 'seed', 'value');
    expect(patch200).toEqual({ ...(get200 as object), security_type: 3 });
    expect(document.components.parameters.TraceId).toMatchObject({
      name: 'x-partner-trace-id',
      in: 'header',
      example: TRACE_ID_EXAMPLE,
    });
    expect(document.components.parameters.DealerId?.example).toBe('12345');
  });

  it('names and describes the four security types', () => {
    const securityType = document.components.schemas.SecurityType;
    expect(securityType?.enum).toEqual([1, 2, 3, 4]);
    for (const type of Object.values(SECURITY_TYPES)) {
      expect(securityType?.description).toContain(type.name);
      expect(securityType?.description).toContain(type.description);
    }
    expect(securityType?.['x-enum-varnames']).toEqual([
      'primary-bridge',
      'individual-bridge',
      'video',
      'alarm-com',
    ]);
  });

  it('documents every error code the arming routes can answer with, under its status', () => {
    const documented = new Set<string>();
    for (const operation of [at(armingPath, 'get'), at(armingPath, 'patch'), at(tokenPath, 'post')]) {
      for (const [status, response] of Object.entries(at(operation, 'responses') as object)) {
        for (const example of Object.values((at(response, ...JSON_EXAMPLES) ?? {}) as object)) {
          const error = at(example, 'value', 'error');
          const code = String(typeof error === 'string' ? error : at(error, 'code'));
          documented.add(code);
          if (code in ERROR_CODES)
            expect(ERROR_CODES[code as keyof typeof ERROR_CODES].status).toBe(Number(status));
        }
      }
    }
    // Not operation responses: 404 not_found and 405 are for paths and methods the document does
    // not list, 408, 414 and 431 for bytes that never became a request (its description says so);
    // nothing rate-limits yet.
    const undocumented = Object.keys(ERROR_CODES).filter((code) => !documented.has(code));
    expect(undocumented.sort()).toEqual([
      'headers_too_large',
      'method_not_allowed',
      'not_found',
      'rate_limited',
      'request_timeout',
      'uri_too_long',
    ]);
  });

  it('keeps TypeBox bookkeeping and $id out of the schemas', () => {
    expect(text).not.toContain('~kind');
    expect(text).not.toContain('"$id"');
  });
});
