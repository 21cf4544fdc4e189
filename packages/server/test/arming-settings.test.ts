import { armingSettingsPath, SECURITY_TYPE_VALUES } from '@chekt-partner/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listArmingHistory } from '../src/store/repositories/arming-history.js';
import { startExampleServer } from './support/example-server.js';
import { bodyAfterItsAnswer, call, errorCodeOf, patchJson, traceIdOf } from './support/http.js';
import type { InProcessServer } from './support/in-process-server.js';
import { fetchToken, type TestClient } from './support/provision.js';

const EXAMPLE = armingSettingsPath(12345, 1);
const TRACE_ID = '550e8400-e29b-41d4-a716-123456789000';

describe('GET and PATCH arming settings, as the API reference documents them', () => {
  let server: InProcessServer;
  let client: TestClient;
  let token: string;

  beforeAll(async () => {
    ({ server, client } = await startExampleServer());
    token = await fetchToken(server.url, client);
  });
  afterAll(() => server.close());

  const stored = async () => {
    const row = await server.store.db
      .selectFrom('sites')
      .select('security_type')
      .where('id', '=', 1)
      .executeTakeFirstOrThrow();
    return Number(row.security_type);
  };
  const historyCount = async () => (await listArmingHistory(server.store.db, 1)).length;
  /** A PATCH with the test's token and exactly these headers and body. */
  const patchWith = (path: string, headers: Record<string, string>, body: string) =>
    call(server.url, path, { method: 'PATCH', token, headers, body });

  it('GET returns exactly the documented fields and types', async () => {
    const response = await call(server.url, EXAMPLE, { token, headers: { 'x-partner-trace-id': TRACE_ID } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.body).toEqual({
      site_id: 1,
      external_site_id: '1234567890',
      name: 'Gangnam Headquarters',
      security_type: await stored(),
    });
    expect(Object.keys(response.body as object).sort()).toEqual([
      'external_site_id',
      'name',
      'security_type',
      'site_id',
    ]);
  });

  it.each([
    ['3.0', 3],
    ['30e-1', 3],
    ['0.4e1', 4],
    ['1.000E+0', 1],
    ['200e-2', 2],
  ])('PATCH takes a security type written as %s, an integer in any JSON form', async (written, type) => {
    await patchJson(server.url, EXAMPLE, token, { security_type: type === 1 ? 2 : 1 });
    const response = await patchWith(
      EXAMPLE,
      { 'content-type': 'application/json' },
      `{"security_type":${written}}`,
    );
    expect(response.status).toBe(200);
    expect((response.body as { security_type: number }).security_type).toBe(type);
    expect(await stored()).toBe(type);
  });

  it.each(SECURITY_TYPE_VALUES)(
    'PATCH to security type %i answers the new value, stores it and GET shows it',
    async (type) => {
      const response = await patchJson(server.url, EXAMPLE, token, { security_type: type });
      expect(response.status).toBe(200);
      expect(response.body).toEqual({
        site_id: 1,
        external_site_id: '1234567890',
        name: 'Gangnam Headquarters',
        security_type: type,
      });
      expect(await stored()).toBe(type);
      const read = await call(server.url, EXAMPLE, { token });
      expect((read.body as { security_type: number }).security_type).toBe(type);
    },
  );

  it('records one history row per successful PATCH: site, from, to, client, trace id, time', async () => {
    await patchJson(server.url, EXAMPLE, token, { security_type: 2 });
    const before = await historyCount();
    const response = await patchWith(
      EXAMPLE,
      { 'content-type': 'application/json', 'x-partner-trace-id': TRACE_ID },
      JSON.stringify({ security_type: 4 }),
    );
    expect(response.status).toBe(200);
    const history = await listArmingHistory(server.store.db, 1);
    expect(history).toHaveLength(before + 1);
    const newest = history.at(-1);
    expect(newest).toMatchObject({
      site_id: 1,
      dealer_id: 12345,
      from_type: 2,
      to_type: 4,
      client_id: client.clientId,
      trace_id: TRACE_ID,
    });
    expect(Date.now() - Date.parse(String(newest?.changed_at))).toBeLessThan(60_000);
  });

  it('no cache may store the settings: GET, HEAD, PATCH and a 304 say Cache-Control: no-store', async () => {
    const answers = [
      await call(server.url, EXAMPLE, { token }),
      await call(server.url, EXAMPLE, { method: 'HEAD', token }),
      await patchJson(server.url, EXAMPLE, token, { security_type: 2 }),
      await call(server.url, EXAMPLE, { token, headers: { 'if-none-match': '*' } }),
    ];
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 304]);
    for (const answer of answers) expect(answer.headers.get('cache-control')).toBe('no-store');
  });

  // A 404 is heuristically cacheable (RFC 9110 §15.5.5): one kept would hide a site added later.
  it('nor its refusals: a 404, 401, 412 or 400 of these endpoints says Cache-Control: no-store', async () => {
    const answers = [
      await call(server.url, armingSettingsPath(12345, 999), { token }),
      await call(server.url, armingSettingsPath(12345, 999), { method: 'HEAD', token }),
      await call(server.url, EXAMPLE),
      await call(server.url, EXAMPLE, { token, headers: { 'if-match': '"v1"' } }),
      await patchJson(server.url, EXAMPLE, token, { security_type: 9 }),
    ];
    expect(answers.map((answer) => answer.status)).toEqual([404, 404, 401, 412, 400]);
    for (const answer of answers) expect(answer.headers.get('cache-control')).toBe('no-store');
  });

  describe('every rejected body gets a clear error, a stable code, and changes nothing', () => {
    const cases: Array<[string, string, number, string, string | undefined]> = [
      ['the string "3"', '{"security_type":"3"}', 400, 'invalid_security_type', 'security_type'],
      ['3.5', '{"security_type":3.5}', 400, 'invalid_security_type', 'security_type'],
      ['0', '{"security_type":0}', 400, 'invalid_security_type', 'security_type'],
      ['5', '{"security_type":5}', 400, 'invalid_security_type', 'security_type'],
      ['-1', '{"security_type":-1}', 400, 'invalid_security_type', 'security_type'],
      ['null', '{"security_type":null}', 400, 'invalid_security_type', 'security_type'],
      ['true', '{"security_type":true}', 400, 'invalid_security_type', 'security_type'],
      ['an array value', '{"security_type":[3]}', 400, 'invalid_security_type', 'security_type'],
      ['an object value', '{"security_type":{}}', 400, 'invalid_security_type', 'security_type'],
      ['a missing field', '{}', 400, 'invalid_security_type', 'security_type'],
      ['a misspelt field', '{"securityType":3}', 400, 'invalid_security_type', 'security_type'],
      ['an unknown extra field', '{"security_type":3,"name":"x"}', 400, 'unknown_field', 'name'],
      // Valid JSON whose keys JavaScript treats specially: an unknown field like any other.
      ['a __proto__ field', '{"security_type":3,"__proto__":{"x":1}}', 400, 'unknown_field', '__proto__'],
      [
        'a constructor.prototype field',
        '{"security_type":3,"constructor":{"prototype":{}}}',
        400,
        'unknown_field',
        'constructor',
      ],
      // RFC 8259 §4 leaves repeated names to each parser (JSON.parse keeps the last): ambiguous.
      ['a field sent twice', '{"security_type":3,"security_type":4}', 400, 'invalid_body', 'security_type'],
      [
        'a field sent twice, once escaped',
        '{"security_type":3, "secu\\u0072ity_type":4}',
        400,
        'invalid_body',
        'security_type',
      ],
      [
        'a field sent twice, first invalid',
        '{"security_type":"x","security_type":4}',
        400,
        'invalid_body',
        'security_type',
      ],
      // Not integers, though JSON.parse rounds them to one (a double holds ~16 digits).
      [
        '3.0000000000000001',
        '{"security_type":3.0000000000000001}',
        400,
        'invalid_security_type',
        'security_type',
      ],
      [
        '3.9999999999999999',
        '{"security_type": 3.9999999999999999 }',
        400,
        'invalid_security_type',
        'security_type',
      ],
      ['1e-400', '{"security_type":1e-400}', 400, 'invalid_security_type', 'security_type'],
      ['a JSON array body', '[]', 400, 'invalid_body', undefined],
      ['a JSON null body', 'null', 400, 'invalid_body', undefined],
      ['a JSON number body', '3', 400, 'invalid_body', undefined],
      ['malformed JSON', '{"security_type":', 400, 'malformed_json', undefined],
      ['an empty body', '', 400, 'invalid_body', undefined],
    ];

    it.each(cases)('%s', async (_label, body, status, code, field) => {
      await patchJson(server.url, EXAMPLE, token, { security_type: 2 });
      const historyBefore = await historyCount();
      const response = await patchWith(EXAMPLE, { 'content-type': 'application/json' }, body);
      expect(response.status).toBe(status);
      expect(errorCodeOf(response)).toBe(code);
      const error = (response.body as { error: Record<string, unknown> }).error;
      expect(error.message).toEqual(expect.any(String));
      expect(error.trace_id).toBe(traceIdOf(response));
      expect(error.field).toBe(field);
      expect(await stored()).toBe(2);
      expect(await historyCount()).toBe(historyBefore);
    });

    it('a non-JSON content type is 415', async () => {
      for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
        const response = await patchWith(EXAMPLE, { 'content-type': contentType }, 'security_type=3');
        expect(response.status, contentType).toBe(415);
        expect(errorCodeOf(response)).toBe('unsupported_media_type');
        // RFC 5789 §2.2: the 415 says which patch document type the endpoint takes.
        expect(response.headers.get('accept-patch'), contentType).toBe('application/json');
      }
      expect(await stored()).toBe(2);
    });

    it("a body in a content coding is 415 with Accept-Encoding: identity, after a missing site's 404", async () => {
      const encoded = (path: string, coding: string, securityType: number) =>
        patchWith(
          path,
          { 'content-type': 'application/json', 'content-encoding': coding },
          JSON.stringify({ security_type: securityType }),
        );
      const historyBefore = await historyCount();
      for (const coding of ['gzip', 'deflate', 'br', 'GZIP', 'gzip, identity']) {
        const response = await encoded(EXAMPLE, coding, 3);
        expect(response.status, coding).toBe(415);
        expect(errorCodeOf(response)).toBe('unsupported_media_type');
        expect(response.headers.get('accept-encoding')).toBe('identity');
        expect((await encoded(armingSettingsPath(12345, 2), coding, 3)).status, coding).toBe(404);
      }
      expect(await stored()).toBe(2);
      expect(await historyCount()).toBe(historyBefore);
      for (const coding of ['identity', ' Identity ']) {
        expect((await encoded(EXAMPLE, coding, 2)).status, coding).toBe(200);
      }
    });

    it('an oversized body is 413', async () => {
      const body = JSON.stringify({ security_type: 3, padding: 'x'.repeat(64 * 1024) });
      const response = await patchWith(EXAMPLE, { 'content-type': 'application/json' }, body);
      expect(response.status).toBe(413);
      expect(errorCodeOf(response)).toBe('payload_too_large');
      expect(await stored()).toBe(2);
    });

    // As a proxy sends it (nginx writes the whole body before it reads an answer): the 413 comes
    // before the body, and closing the connection at once reset the body's last bytes, failing the
    // proxy's write, and the proxy answered 502 instead.
    it('an oversized body sent whole after its 413 has come is read to its end, then the connection closes', async () => {
      const body = Buffer.alloc(4 * 1024 * 1024, 'x');
      const sent = await bodyAfterItsAnswer(
        server.url,
        `PATCH ${EXAMPLE} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
        body,
      );
      expect(sent.received).toMatch(/^HTTP\/1\.1 413 /);
      expect(sent.received).toMatch(/"code":"payload_too_large"/);
      expect(sent.bodyWrite).toBe('written');
      // The server closes its side once the body is whole, without waiting out its linger.
      expect(sent.closedAfterMs).toBeLessThan(2000);
    });

    // nginx speaks HTTP/1.0 with `Connection: close` upstream by default: any answer given before
    // the body (a 401 to a PATCH) closes the connection, and closing it at once reset the body.
    it('a body sent whole after a refusal that came first, on a connection the client asked to close, is read to its end', async () => {
      const body = Buffer.alloc(4 * 1024 * 1024, 'x');
      const sent = await bodyAfterItsAnswer(
        server.url,
        `PATCH ${EXAMPLE} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer not-a-token\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
        body,
      );
      expect(sent.received).toMatch(/^HTTP\/1\.1 401 /);
      expect(sent.bodyWrite).toBe('written');
      expect(sent.closedAfterMs).toBeLessThan(2000);
    });

    // RFC 9112 §9.6: after an answer with `Connection: close` the server processes no further
    // request on the connection. While it read and dropped the refused body, its parser went on
    // past it, and a PATCH a client pipelined behind that body was made, with no answer to say so.
    it('a request pipelined behind an oversized body refused with 413 is not served', async () => {
      const body = Buffer.alloc(20 * 1024, 'x');
      const change = JSON.stringify({ security_type: 4 });
      const pipelined =
        `PATCH ${EXAMPLE} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${change.length}\r\n\r\n${change}`;
      const before = await stored();
      const historyBefore = await historyCount();
      const sent = await bodyAfterItsAnswer(
        server.url,
        `PATCH ${EXAMPLE} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
        Buffer.concat([body, Buffer.from(pipelined)]),
      );
      expect(sent.received).toMatch(/^HTTP\/1\.1 413 /);
      expect(sent.received).not.toMatch(/HTTP\/1\.1 200 /);
      // Time for a PATCH that was let through to be committed.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await stored()).toBe(before);
      expect(await historyCount()).toBe(historyBefore);
    });
  });

  describe('the error table', () => {
    it('400: invalid security_type value', async () => {
      const response = await patchJson(server.url, EXAMPLE, token, { security_type: 9 });
      expect(response.status).toBe(400);
      expect(errorCodeOf(response)).toBe('invalid_security_type');
    });

    it('401: no token, with a Bearer challenge', async () => {
      for (const method of ['GET', 'PATCH']) {
        const response = await call(server.url, EXAMPLE, { method });
        expect(response.status).toBe(401);
        expect(errorCodeOf(response)).toBe('unauthorized');
        expect(response.headers.get('www-authenticate')).toBe('Bearer realm="chekt-partner"');
      }
    });

    it('401: credentials of another scheme, with the bare challenge (RFC 6750 §3.1)', async () => {
      for (const authorization of ['Basic Zm9vOmJhcg==', 'Token abc', 'Bearerabc']) {
        const response = await call(server.url, EXAMPLE, { headers: { authorization } });
        expect(response.status, authorization).toBe(401);
        expect(errorCodeOf(response), authorization).toBe('unauthorized');
        expect(response.headers.get('www-authenticate'), authorization).toBe('Bearer realm="chekt-partner"');
      }
    });

    it('401: an invalid token, with error="invalid_token"', async () => {
      const response = await call(server.url, EXAMPLE, { token: 'not.a.jwt' });
      expect(response.status).toBe(401);
      expect(errorCodeOf(response)).toBe('invalid_token');
      expect(response.headers.get('www-authenticate')).toMatch(
        /^Bearer realm="chekt-partner", error="invalid_token"/,
      );
    });

    it('403: a dealer the client is not granted', async () => {
      const response = await call(server.url, armingSettingsPath(99999, 1), { token });
      expect(response.status).toBe(403);
      expect(errorCodeOf(response)).toBe('forbidden');
    });

    it('404: a site that does not exist under the dealer', async () => {
      for (const siteId of ['2', '0', 'abc', '01', '99999999999']) {
        const response = await call(server.url, armingSettingsPath(12345, siteId), { token });
        expect(response.status, siteId).toBe(404);
        expect(errorCodeOf(response)).toBe('site_not_found');
      }
    });

    it('404 comes before 400, 413 and 415: any body for a missing site is a 404, and changes nothing', async () => {
      const historyBefore = await historyCount();
      const bodies: Array<[string, string]> = [
        ['application/json', '{"security_type":2}'],
        ['application/json', '{"security_type":9}'],
        ['application/json', '{"security_type":'],
        ['application/json', JSON.stringify({ security_type: 3, padding: 'x'.repeat(64 * 1024) })],
        ['text/plain', 'security_type=3'],
      ];
      for (const siteId of ['2', 'abc']) {
        for (const [contentType, body] of bodies) {
          const response = await patchWith(
            armingSettingsPath(12345, siteId),
            { 'content-type': contentType },
            body,
          );
          expect(response.status, `${siteId} ${contentType} ${body.slice(0, 30)}`).toBe(404);
          expect(errorCodeOf(response)).toBe('site_not_found');
        }
      }
      expect(await historyCount()).toBe(historyBefore);
    });

    it('401 comes before everything: a bad body without a token is a 401', async () => {
      const response = await call(server.url, armingSettingsPath(99999, 2), {
        method: 'PATCH',
        headers: { 'content-type': 'text/plain' },
        body: 'x',
      });
      expect(response.status).toBe(401);
    });

    it('405 for a method the endpoint does not have, with Allow', async () => {
      const response = await call(server.url, EXAMPLE, { method: 'DELETE', token });
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe('GET, HEAD, PATCH');
    });

    it('a path that is not valid percent-encoding is a 400 in the envelope, with the trace id', async () => {
      const paths = [
        '/partner/v1/dealers/%ZZ/sites/1/arming-settings',
        '/partner/v1/dealers/12345/sites/1%E0%A4%A/arming-settings',
        '/partner/v1/nothing-here/%',
      ];
      for (const path of paths) {
        const response = await call(server.url, path, { token, headers: { 'x-partner-trace-id': TRACE_ID } });
        expect(response.status, path).toBe(400);
        expect(errorCodeOf(response)).toBe('bad_request');
        expect((response.body as { error: { message: string } }).error.message).toMatch(/percent-encoding/);
        expect(traceIdOf(response)).toBe(TRACE_ID);
        expect((response.body as { error: { trace_id: string } }).error.trace_id).toBe(TRACE_ID);
      }
    });

    it('an id of any length goes through the same checks as any other id that is not there', async () => {
      const long = '1'.repeat(2000);
      const before = await stored();
      const noToken = await call(server.url, armingSettingsPath(12345, long));
      expect(noToken.status).toBe(401);
      const get = await call(server.url, armingSettingsPath(12345, long), { token });
      expect(get.status).toBe(404);
      expect(errorCodeOf(get)).toBe('site_not_found');
      const patch = await patchJson(server.url, armingSettingsPath(12345, long), token, {
        security_type: before === 4 ? 3 : 4,
      });
      expect(patch.status).toBe(404);
      const dealerShort = await call(server.url, armingSettingsPath('abc', 1), { token });
      const dealerLong = await call(server.url, armingSettingsPath(long, 1), { token });
      expect([dealerLong.status, errorCodeOf(dealerLong)]).toEqual([
        dealerShort.status,
        errorCodeOf(dealerShort),
      ]);
      expect(dealerLong.status).toBeGreaterThanOrEqual(403);
      expect(dealerLong.status).toBeLessThan(405);
      expect(await stored()).toBe(before);
    });

    it('404 with the envelope for an unknown path', async () => {
      const response = await call(server.url, '/partner/v1/nothing-here', { token });
      expect(response.status).toBe(404);
      expect(errorCodeOf(response)).toBe('not_found');
    });
  });

  describe('preconditions (RFC 9110 §13): arming settings have no entity tag and no date', () => {
    const json = { 'content-type': 'application/json' };

    it('a PATCH with If-Match other than * is a 412 and changes nothing: no tag of ours can match', async () => {
      const [before, rows] = [await stored(), await historyCount()];
      // A '*' beside a tag (or If-Match sent twice, which Node joins) is no '*' alone: it fails too.
      for (const ifMatch of ['"v1"', 'W/"v1"', '"a", "b"', 'no-quotes', '*, "v1"', '"v1", *']) {
        const response = await patchWith(EXAMPLE, { ...json, 'if-match': ifMatch }, '{"security_type": 4}');
        expect(response.status, ifMatch).toBe(412);
        expect(errorCodeOf(response)).toBe('precondition_failed');
      }
      expect([await stored(), await historyCount()]).toEqual([before, rows]);
    });

    it('a PATCH with If-None-Match: * is a 412 (the site exists); with If-Match: * it goes through', async () => {
      const rows = await historyCount();
      // Sent twice, Node joins them: '*, *'. A '*' anywhere still fails.
      for (const ifNoneMatch of ['*', '*, *', '*, "a"', '"a", *']) {
        const refused = await patchWith(
          EXAMPLE,
          { ...json, 'if-none-match': ifNoneMatch },
          '{"security_type": 4}',
        );
        expect(refused.status, ifNoneMatch).toBe(412);
      }
      expect(await historyCount()).toBe(rows);
      const made = await patchWith(EXAMPLE, { ...json, 'if-match': '*' }, '{"security_type": 4}');
      expect(made.status).toBe(200);
      expect(await stored()).toBe(4);
      const unmatched = await patchWith(
        EXAMPLE,
        { ...json, 'if-none-match': '"v1"' },
        '{"security_type": 2}',
      );
      expect(unmatched.status).toBe(200);
      expect(await stored()).toBe(2);
    });

    it('a 412 comes after the 404 and before the errors about the body', async () => {
      const missing = await patchWith(
        armingSettingsPath(12345, 999),
        { ...json, 'if-match': '"v1"' },
        '{"security_type": 4}',
      );
      expect(missing.status).toBe(404);
      for (const body of ['{"security_type": 9}', '{"security_type": ', '[]']) {
        const response = await patchWith(EXAMPLE, { ...json, 'if-match': '"v1"' }, body);
        expect(response.status, body).toBe(412);
      }
      const notJson = await patchWith(EXAMPLE, { 'content-type': 'text/plain', 'if-match': '"v1"' }, 'x');
      expect(notJson.status).toBe(412);
    });

    it('a HEAD has the headers a GET has, a 304 included, and no body', async () => {
      // Less what differs from answer to answer, and the connection's (fetch closes after a HEAD).
      const varying = new Set(['date', 'x-partner-trace-id', 'connection', 'keep-alive']);
      const headersOf = (response: Awaited<ReturnType<typeof call>>) =>
        [...response.headers].filter(([name]) => !varying.has(name));
      const preconditions: Array<Record<string, string>> = [
        {},
        { 'if-none-match': '*' },
        { 'if-match': '"v1"' },
      ];
      for (const headers of preconditions) {
        const get = await call(server.url, EXAMPLE, { token, headers });
        const head = await call(server.url, EXAMPLE, { method: 'HEAD', token, headers });
        expect(head.status).toBe(get.status);
        expect(headersOf(head)).toEqual(headersOf(get));
        expect(head.text).toBe('');
      }
    });

    it('a GET with If-None-Match: * is a 304 without a body; other preconditions of a GET', async () => {
      const notModified = await call(server.url, EXAMPLE, { token, headers: { 'if-none-match': '*' } });
      expect(notModified.status).toBe(304);
      expect(notModified.text).toBe('');
      expect(notModified.headers.get('x-partner-trace-id')).toBeTruthy();
      const failed = await call(server.url, EXAMPLE, { token, headers: { 'if-match': '"v1"' } });
      expect(failed.status).toBe(412);
      const cases: Array<Record<string, string>> = [
        { 'if-match': '*' },
        { 'if-none-match': '"v1"' },
        { 'if-modified-since': 'Wed, 21 Oct 2015 07:28:00 GMT' },
        { 'if-unmodified-since': 'Wed, 21 Oct 2015 07:28:00 GMT' },
      ];
      for (const headers of cases) {
        const response = await call(server.url, EXAMPLE, { token, headers });
        expect(response.status, JSON.stringify(headers)).toBe(200);
      }
    });
  });

  describe('x-partner-trace-id', () => {
    it("echoes the caller's value on success and on errors", async () => {
      const ok = await call(server.url, EXAMPLE, { token, headers: { 'x-partner-trace-id': TRACE_ID } });
      expect(traceIdOf(ok)).toBe(TRACE_ID);
      const failed = await call(server.url, EXAMPLE, { headers: { 'x-partner-trace-id': TRACE_ID } });
      expect(traceIdOf(failed)).toBe(TRACE_ID);
      expect((failed.body as { error: { trace_id: string } }).error.trace_id).toBe(TRACE_ID);
    });

    it('is a fresh UUID when the caller sent none', async () => {
      const first = await call(server.url, EXAMPLE, { token });
      const second = await call(server.url, EXAMPLE, { token });
      expect(traceIdOf(first)).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
      expect(traceIdOf(first)).not.toBe(traceIdOf(second));
    });

    it('a value that is not a sane token is a 400 invalid_trace_id, and changes nothing', async () => {
      await patchJson(server.url, EXAMPLE, token, { security_type: 1 });
      for (const bad of ['x'.repeat(129), 'has space', 'tab\there', 'ünïcode']) {
        const response = await patchWith(
          EXAMPLE,
          { 'content-type': 'application/json', 'x-partner-trace-id': bad },
          '{"security_type":3}',
        );
        expect(response.status, bad).toBe(400);
        expect(errorCodeOf(response)).toBe('invalid_trace_id');
        expect((response.body as { error: { field: string } }).error.field).toBe('x-partner-trace-id');
        expect(traceIdOf(response)).not.toBe(bad);
      }
      expect(await stored()).toBe(1);
    });
  });
});
