import { armingSettingsPath, TOKEN_PATH, TRACE_ID_EXAMPLE } from '@chekt-partner/contract';
import { describe, expect, it } from 'vitest';
import { openApiConformance, type RecordedResponse } from './support/openapi-conformance.js';

// The drift checker must itself catch drift: each case is a response the document does not allow.
const SITE = armingSettingsPath(12345, 1);
const SETTINGS = {
  site_id: 1,
  external_site_id: '1234567890',
  name: 'Gangnam Headquarters',
  security_type: 1,
};

function response(
  overrides: Partial<Omit<RecordedResponse, 'headers'>> & { headers?: Record<string, string> } = {},
): RecordedResponse {
  const { headers, ...rest } = overrides;
  const status = rest.status ?? 200;
  return {
    method: 'GET',
    url: SITE,
    status,
    body: JSON.stringify(SETTINGS),
    ...rest,
    headers: new Headers({
      'content-type': 'application/json; charset=utf-8',
      'x-partner-trace-id': TRACE_ID_EXAMPLE,
      // What the settings' own answers carry, and errors do not.
      ...(status === 200 ? { 'cache-control': 'no-store' } : {}),
      ...headers,
    }),
  };
}

const problems = (recorded: RecordedResponse) => openApiConformance().problems(recorded);

describe('the OpenAPI conformance checker', () => {
  it('accepts a response the document describes', () => {
    expect(problems(response())).toEqual([]);
  });

  it('rejects a status the operation does not document', () => {
    expect(problems(response({ status: 409 }))).toEqual([expect.stringContaining('409 is not documented')]);
  });

  it('rejects a body that breaks the schema', () => {
    expect(problems(response({ body: JSON.stringify({ ...SETTINGS, security_type: 5 }) }))).toHaveLength(1);
    expect(problems(response({ body: JSON.stringify({ ...SETTINGS, extra: true }) }))).toHaveLength(1);
  });

  it('rejects a media type the response does not document', () => {
    expect(problems(response({ headers: { 'content-type': 'text/html' } }))).toEqual([
      expect.stringContaining('content-type "text/html"'),
    ]);
  });

  it('rejects a missing required header and an undocumented one', () => {
    const recorded = response();
    recorded.headers.delete('x-partner-trace-id');
    recorded.headers.set('x-powered-by', 'something');
    expect(problems(recorded)).toEqual([
      expect.stringContaining('required header x-partner-trace-id is missing'),
      expect.stringContaining('header x-powered-by is sent but not documented'),
    ]);
  });

  it('checks header values against their schemas', () => {
    const recorded = response({
      method: 'PATCH',
      status: 503,
      body: JSON.stringify({
        error: { code: 'service_unavailable', message: 'm', trace_id: 't', request_id: 't' },
      }),
      headers: { 'retry-after': 'soon' },
    });
    expect(problems(recorded)).toEqual([expect.stringContaining('header retry-after')]);
  });

  it('requires a 405 with the documented methods in Allow for a method the path does not list', () => {
    const body = JSON.stringify({
      error: { code: 'method_not_allowed', message: 'm', trace_id: 't', request_id: 't' },
    });
    expect(
      problems(response({ method: 'PUT', status: 405, body, headers: { allow: 'GET, HEAD, PATCH' } })),
    ).toEqual([]);
    expect(
      problems(response({ method: 'PUT', status: 405, body, headers: { allow: 'GET, PUT' } })),
    ).toHaveLength(1);
    expect(problems(response({ method: 'PUT', status: 200 }))).toHaveLength(1);
    const notFound = JSON.stringify({
      error: { code: 'not_found', message: 'm', trace_id: 't', request_id: 't' },
    });
    expect(problems(response({ method: 'PUT', status: 404, body: notFound }))).toHaveLength(1);
  });

  it('requires the OAuth error format, not the envelope, from the token endpoint', () => {
    const envelope = JSON.stringify({
      error: { code: 'invalid_trace_id', message: 'm', trace_id: 't', request_id: 't' },
    });
    const recorded = response({
      method: 'POST',
      url: TOKEN_PATH,
      status: 400,
      body: envelope,
      headers: { 'cache-control': 'no-store', pragma: 'no-cache' },
    });
    expect(problems(recorded)).toEqual([
      expect.stringContaining('body'),
      expect.stringContaining('error code invalid_trace_id is not one this operation lists'),
    ]);
  });

  it('rejects an error code the operation does not list for that status', () => {
    const body = (code: string) =>
      JSON.stringify({ error: { code, message: 'm', trace_id: 't', request_id: 't', field: 'f' } });
    // A GET has no body, so none of the body's codes.
    expect(problems(response({ method: 'GET', status: 400, body: body('unknown_field') }))).toEqual([
      expect.stringContaining('error code unknown_field is not one this operation lists'),
    ]);
    expect(problems(response({ method: 'GET', status: 400, body: body('bad_request') }))).toEqual([]);
  });
});
