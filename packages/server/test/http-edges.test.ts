import type { IncomingMessage } from 'node:http';
import { connect, Socket } from 'node:net';
import {
  AUTHORIZATION_SERVER_METADATA_PATH,
  armingSettingsPath,
  JWKS_PATH,
  LIVENESS_PATH,
  TOKEN_PATH,
} from '@chekt-partner/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, errorCodeOf } from './support/http.js';
import { buildLoggedApp, type LoggedApp } from './support/logged-app.js';

/**
 * What reaches no route: bytes that never become a request, and a method the path does not
 * serve. The real app on a real port, with its log written to a file.
 */
describe('requests outside the routes', () => {
  let logged: LoggedApp;
  let url: string;
  let port: number;

  beforeAll(async () => {
    logged = await buildLoggedApp();
    url = await logged.app.listen({ port: 0, host: '127.0.0.1' });
    port = Number(new URL(url).port);
  });

  afterAll(() => logged.close());

  describe('bytes that are not an HTTP/1.1 request', () => {
    it('are a 400 bad_request in the envelope, with a fresh trace id, and the connection closes', async () => {
      const answer = parse(await exchange(port, 'NOT HTTP AT ALL\r\n\r\n'));
      expect(answer.status).toBe(400);
      expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(answer.headers.connection).toBe('close');
      expect(Number(answer.headers['content-length'])).toBe(Buffer.byteLength(answer.body));
      const body = JSON.parse(answer.body);
      expect(body.error).toMatchObject({ code: 'bad_request', message: 'The request is not valid HTTP/1.1' });
      expect(body.error.trace_id).toMatch(/^[0-9a-f-]{36}$/);
      expect(body.error.request_id).toBe(body.error.trace_id);
      expect(answer.headers['x-partner-trace-id']).toBe(body.error.trace_id);
    });

    it('a CONNECT (a tunnel asked of a proxy) is a 400 bad_request in the envelope too, not a silent close', async () => {
      for (const target of ['127.0.0.1:443', LIVENESS_PATH]) {
        const answer = parse(await exchange(port, `CONNECT ${target} HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n`));
        expect(answer.status).toBe(400);
        expect(answer.headers.connection).toBe('close');
        const body = JSON.parse(answer.body);
        expect(body.error).toMatchObject({
          code: 'bad_request',
          message: expect.stringContaining('CONNECT'),
        });
        expect(answer.headers['x-partner-trace-id']).toBe(body.error.trace_id);
      }
    });

    it('headers over the limit are a 431 headers_too_large', async () => {
      const request = `GET ${LIVENESS_PATH} HTTP/1.1\r\nhost: x\r\nx-padding: ${'a'.repeat(20_000)}\r\n\r\n`;
      const answer = parse(await exchange(port, request));
      expect(answer.status).toBe(431);
      expect(JSON.parse(answer.body).error.code).toBe('headers_too_large');
    });

    it('a request line over the limit is a 414 uri_too_long (RFC 9112 §3), not a 431', async () => {
      const target = `/partner/v1/dealers/${'1'.repeat(17_000)}/sites/1/arming-settings`;
      for (const request of [
        `GET ${target} HTTP/1.1\r\nhost: x\r\n\r\n`,
        // Before its line ends, as a client still sending it would be.
        `GET ${target}`,
      ]) {
        const answer = parse(await exchange(port, request));
        expect(answer.status).toBe(414);
        expect(answer.headers.connection).toBe('close');
        const body = JSON.parse(answer.body);
        expect(body.error.code).toBe('uri_too_long');
        expect(answer.headers['x-partner-trace-id']).toBe(body.error.trace_id);
      }
    });

    it('a long request line behind a whole request in the same bytes is a 414 too, after its answer', async () => {
      const first = `GET ${LIVENESS_PATH} HTTP/1.1\r\nhost: x\r\n\r\n`;
      const raw = await exchange(port, `${first}GET /${'a'.repeat(17_000)} HTTP/1.1\r\nhost: x\r\n\r\n`);
      const [answered, refused] = raw.split(/(?=HTTP\/1\.1 )/).map(parse);
      expect(answered?.status).toBe(200);
      expect(refused?.status).toBe(414);
    });

    it("a header's long value arriving in a later piece is a 431, whatever word it starts with", async () => {
      const socket = connect(port, '127.0.0.1');
      const received = collect(socket);
      socket.write(`GET ${LIVENESS_PATH} HTTP/1.1\r\nhost: x\r\nx-long: `);
      await new Promise((resolve) => setTimeout(resolve, 100));
      socket.write(`abc ${'a'.repeat(17_000)}`);
      expect(parse(await received).status).toBe(431);
    });

    it('carry a Date header, as every 4xx must (RFC 9110 §6.6.1)', async () => {
      const answer = parse(await exchange(port, 'HELLO\r\n\r\n'));
      expect(answer.status).toBe(400);
      const date = Date.parse(String(answer.headers.date));
      expect(Math.abs(date - Date.now())).toBeLessThan(5_000);
    });

    it('a body trickled slower than the request timeout is a 408 request_timeout under its own trace id, logged with its method and path, and the connection closes', async () => {
      // The server's limit is 60 s (REQUEST_TIMEOUT_MS); this app's is 1 s, checked every 0.5 s.
      const slow = await buildLoggedApp({ requestTimeoutMs: 1_000 });
      try {
        const slowUrl = await slow.app.listen({ port: 0, host: '127.0.0.1' });
        const client = connect(Number(new URL(slowUrl).port), '127.0.0.1');
        const received = collect(client);
        const started = Date.now();
        client.write(
          `POST ${TOKEN_PATH}?q=1 HTTP/1.1\r\nhost: x\r\nx-partner-trace-id: trickled-1\r\n` +
            'content-type: application/x-www-form-urlencoded\r\ncontent-length: 5000\r\n\r\ngrant_type=',
        );
        const trickle = setInterval(() => client.write(' '), 100);
        client.once('data', () => clearInterval(trickle));
        const answer = parse(await received);
        clearInterval(trickle);
        expect(answer.status).toBe(408);
        expect(JSON.parse(answer.body).error.code).toBe('request_timeout');
        expect(Date.now() - started).toBeLessThan(10_000);
        // Its headers were read: the answer and the log line are the request's own, by its trace id.
        expect(answer.headers['x-partner-trace-id']).toBe('trickled-1');
        expect(slow.linesOf('trickled-1')).toEqual([
          expect.objectContaining({
            method: 'POST',
            path: TOKEN_PATH,
            status: 408,
            client_error: 'ERR_HTTP_REQUEST_TIMEOUT',
            msg: 'refused a request that could not be parsed',
          }),
        ]);
      } finally {
        await slow.close();
      }
    });

    // Its headers arrived, its body did not: such a request gets the line of a request that could
    // not be parsed instead of its access line (README, Logs). One whose client reset the connection
    // (killed, or a proxy giving up) got no line at all: Node reports the reset as a client error,
    // and that was dropped, there being no one to answer.
    it('a body cut short by a reset gets the line of a request that could not be parsed, under its trace id', async () => {
      const client = connect(port, '127.0.0.1');
      client.on('error', () => {});
      await new Promise((resolve) => client.once('connect', resolve));
      client.write(
        `POST ${TOKEN_PATH}?q=1 HTTP/1.1\r\nhost: x\r\nx-partner-trace-id: reset-mid-body-1\r\n` +
          'content-type: application/x-www-form-urlencoded\r\ncontent-length: 5000\r\n\r\ngrant_type=',
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
      client.resetAndDestroy();
      await expect
        .poll(() => logged.linesOf('reset-mid-body-1'), { timeout: 2000 })
        .toEqual([
          expect.objectContaining({
            method: 'POST',
            path: TOKEN_PATH,
            status: 400,
            client_error: 'ECONNRESET',
            msg: 'refused a request that could not be parsed',
          }),
        ]);
    });

    // An answer given before the body arrived (a body over the limit) closes the connection
    // while what the client still sends is read (lingering-close.ts). A client that closes its side
    // in turn (a Node socket does, on the server's FIN) has that request cut short, yet it had its
    // access line: a second line, of a request that could not be parsed, named it twice.
    it('a body cut short after its answer (too large) keeps its one access line, and no second', async () => {
      const client = connect(port, '127.0.0.1');
      const received = collect(client);
      client.write(
        `POST ${TOKEN_PATH} HTTP/1.1\r\nhost: x\r\nx-partner-trace-id: answered-then-ended-1\r\n` +
          `content-type: application/x-www-form-urlencoded\r\ncontent-length: 40000\r\n\r\n${'a'.repeat(1000)}`,
      );
      // The token endpoint answers a body over the limit in OAuth's envelope (RFC 6749 §5.2).
      expect(parse(await received).status).toBe(400);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(logged.linesOf('answered-then-ended-1')).toEqual([
        expect.objectContaining({ status: 400, msg: 'request completed' }),
      ]);
    });

    // Node reports a reset before its parser is done with the bytes read before it: a request whose
    // body came right behind an `Expect: 100-continue` head was still made whole and served (a
    // PATCH committed, its 200 logged), after a line had refused it as cut short.
    it('a request made whole from the bytes read before a reset gets one line, not a refusal too', async () => {
      const slow = await buildLoggedApp();
      try {
        slow.app.post('/test/slow-write', async () => {
          await new Promise((resolve) => setTimeout(resolve, 50));
          return { written: true };
        });
        const slowPort = Number(new URL(await slow.app.listen({ port: 0, host: '127.0.0.1' })).port);
        const body = '{"security_type":2}';
        const traceIds = Array.from({ length: 30 }, (_, index) => `whole-before-reset-${index}`);
        await Promise.all(
          traceIds.map(async (traceId, index) => {
            const client = connect(slowPort, '127.0.0.1');
            client.on('error', () => {});
            await new Promise((resolve) => client.once('connect', resolve));
            client.write(
              `POST /test/slow-write HTTP/1.1\r\nhost: x\r\nx-partner-trace-id: ${traceId}\r\nexpect: 100-continue\r\n` +
                `content-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
            );
            await new Promise((resolve) => setTimeout(resolve, 1 + (index % 5)));
            client.resetAndDestroy();
          }),
        );
        await new Promise((resolve) => setTimeout(resolve, 500));
        for (const traceId of traceIds) {
          expect(slow.linesOf(traceId).map((line) => line.msg)).not.toEqual([
            'refused a request that could not be parsed',
            'request completed',
          ]);
        }
      } finally {
        await slow.close();
      }
    });

    // An answer ended after its connection failed but before Node emitted the connection's 'close'
    // (a PATCH committed in the turn its client's reset arrived): Node writes nothing and emits no
    // 'finish', and the answer was ended by the time connectionClosed looked, so a committed PATCH
    // had no line.
    it('an answer ended as its client resets the connection still gets its access line', async () => {
      const racing = await buildLoggedApp();
      try {
        racing.app.get('/test/answered-as-reset', (request, reply) => {
          request.raw.socket.once('error', () => reply.send('answered'));
          return reply;
        });
        const racingUrl = await racing.app.listen({ port: 0, host: '127.0.0.1' });
        const client = connect(Number(new URL(racingUrl).port), '127.0.0.1');
        client.on('error', () => {});
        await new Promise((resolve) => client.once('connect', resolve));
        client.write(
          'GET /test/answered-as-reset HTTP/1.1\r\nhost: x\r\nx-partner-trace-id: answered-as-reset-1\r\n\r\n',
        );
        await new Promise((resolve) => setTimeout(resolve, 200));
        client.resetAndDestroy();
        await expect
          .poll(() => racing.linesOf('answered-as-reset-1'), { timeout: 2000 })
          .toEqual([expect.objectContaining({ status: 200, msg: 'request completed' })]);
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect(racing.linesOf('answered-as-reset-1')).toHaveLength(1);
      } finally {
        await racing.close();
      }
    });

    it('are logged by trace id and failure, never with the bytes that were read', async () => {
      const secret = 'Bearer eyJhbGciOiJFUzI1NiJ9.not-a-real-token.signature';
      const request = `GET / HTTP/1.1\r\nauthorization: ${secret}\r\nbad header line\r\n\r\n`;
      const answer = parse(await exchange(port, request));
      expect(answer.status).toBe(400);
      const traceId = answer.headers['x-partner-trace-id'];
      const [line, ...others] = logged.linesOf(String(traceId));
      expect(others).toEqual([]);
      expect(line).toMatchObject({
        level: 30,
        status: 400,
        msg: 'refused a request that could not be parsed',
      });
      expect(line?.client_error).toMatch(/^HPE_/);
      expect(logged.logText()).not.toContain('not-a-real-token');
    });

    it('leave the server serving the next request', async () => {
      await exchange(port, '\x00\x01\x02\r\n\r\n');
      expect((await call(url, LIVENESS_PATH)).status).toBe(200);
    });
  });

  describe('the Host header', () => {
    it('missing from an HTTP/1.1 request is a 400 bad_request naming it, in the envelope (RFC 9112 §3.2)', async () => {
      const answer = parse(
        await exchange(port, `GET ${LIVENESS_PATH} HTTP/1.1\r\nconnection: close\r\n\r\n`),
      );
      expect(answer.status).toBe(400);
      const body = JSON.parse(answer.body);
      expect(body.error).toMatchObject({ code: 'bad_request', field: 'host' });
      expect(answer.headers['x-partner-trace-id']).toBe(body.error.trace_id);
    });

    it('is not needed by HTTP/1.0', async () => {
      const answer = parse(await exchange(port, `GET ${LIVENESS_PATH} HTTP/1.0\r\n\r\n`));
      expect(answer.status).toBe(200);
    });

    it.each([
      ['twice', 'host: a\r\nhost: b', 'A request must have one Host header'],
      ['with a space', 'host: a b', 'The Host header is not a valid host'],
      ['as a list', 'host: a, b', 'The Host header is not a valid host'],
      ['with a bad port', 'host: a:80x', 'The Host header is not a valid host'],
      ['empty', 'host: ', 'The Host header is not a valid host'],
      ['with a port but no host', 'host: :80', 'The Host header is not a valid host'],
      ['with a port longer than any', 'host: a:123456', 'The Host header is not a valid host'],
      ['with a port past 65535', 'host: a:65536', 'The Host header is not a valid host'],
      ['with a % that encodes nothing', 'host: a%zz', 'The Host header is not a valid host'],
      ['with an IP literal that is no address', 'host: [zz]', 'The Host header is not a valid host'],
    ])('%s is a 400 bad_request naming it (RFC 9112 §3.2)', async (_name, lines, message) => {
      const answer = parse(
        await exchange(port, `GET ${LIVENESS_PATH} HTTP/1.1\r\n${lines}\r\nconnection: close\r\n\r\n`),
      );
      expect(answer.status).toBe(400);
      const body = JSON.parse(answer.body);
      expect(body.error).toMatchObject({ code: 'bad_request', field: 'host', message });
    });

    it('a second Host after 2,000 other headers is seen too, and refused', async () => {
      // Node leaves headers past its maxHeadersCount (2000) out of request.headers, while its
      // parser still acts on them: each check must see every header that fits in 16 KiB.
      const filler = 'a:\r\n'.repeat(1990);
      const answer = parse(
        await exchange(
          port,
          `GET ${LIVENESS_PATH} HTTP/1.1\r\nhost: a\r\n${filler}host: b\r\nconnection: close\r\n\r\n`,
        ),
      );
      expect(answer.status).toBe(400);
      expect(JSON.parse(answer.body).error).toMatchObject({ code: 'bad_request', field: 'host' });
    });

    it.each(['example.com', 'localhost:8080', '127.0.0.1:80', '[::1]:8080', 'a.b-c_d~e', 'a:65535', '%41'])(
      'a host %s is served',
      async (host) => {
        const answer = parse(
          await exchange(port, `GET ${LIVENESS_PATH} HTTP/1.1\r\nhost: ${host}\r\nconnection: close\r\n\r\n`),
        );
        expect(answer.status).toBe(200);
      },
    );
  });

  describe('a target in absolute form (GET http://host/path)', () => {
    it("names the target's origin in the OpenAPI document, not Host's (RFC 9112 §3.2.2)", async () => {
      const answer = parse(
        await exchange(
          port,
          'GET http://b.example:5678/openapi.json HTTP/1.1\r\nhost: a.example:1234\r\nconnection: close\r\n\r\n',
        ),
      );
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body).servers).toMatchObject([{ url: 'http://b.example:5678' }]);
    });

    it.each(['ftp://x/healthz', 'http://x:99999/healthz', 'http://x/healthz?a#b', 'http://%zz/healthz'])(
      '%s, not an http(s) URL a request may name, is a 400 that says so, not one about percent-encoding',
      async (target) => {
        const answer = parse(
          await exchange(port, `GET ${target} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`),
        );
        expect(answer.status).toBe(400);
        expect(JSON.parse(answer.body).error).toMatchObject({
          code: 'bad_request',
          message: 'The request target is not a valid http(s) URL',
        });
      },
    );

    it('whose only fault is its percent-encoding is told that, as a path is', async () => {
      const answer = parse(
        await exchange(port, `GET http://x/healthz/%zz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`),
      );
      expect(answer.status).toBe(400);
      expect(JSON.parse(answer.body).error).toMatchObject({
        code: 'bad_request',
        message: 'The request path is not valid percent-encoding',
      });
    });
  });

  describe('the Authorization header', () => {
    it('twice is a 400 bad_request naming it, with error="invalid_request" (RFC 6750 §3.1), whatever the order', async () => {
      for (const lines of [
        'authorization: Bearer a\r\nauthorization: Basic b',
        'authorization: Basic b\r\nAuthorization: Bearer a',
      ]) {
        const answer = parse(
          await exchange(
            port,
            `GET ${armingSettingsPath(12345, 1)} HTTP/1.1\r\nhost: x\r\n${lines}\r\nconnection: close\r\n\r\n`,
          ),
        );
        expect(answer.status).toBe(400);
        expect(JSON.parse(answer.body).error).toMatchObject({ code: 'bad_request', field: 'authorization' });
        expect(answer.headers['www-authenticate']).toMatch(
          /^Bearer realm="chekt-partner", error="invalid_request"/,
        );
      }
    });
  });

  describe('the x-partner-trace-id header', () => {
    it('twice is a 400 invalid_trace_id that says it was sent twice, even when each value is valid', async () => {
      const answer = parse(
        await exchange(
          port,
          `GET ${LIVENESS_PATH} HTTP/1.1\r\nhost: x\r\nx-partner-trace-id: first-id\r\n` +
            'X-Partner-Trace-Id: second-id\r\nconnection: close\r\n\r\n',
        ),
      );
      expect(answer.status).toBe(400);
      expect(JSON.parse(answer.body).error).toMatchObject({
        code: 'invalid_trace_id',
        field: 'x-partner-trace-id',
        message: 'A request must have at most one x-partner-trace-id header',
      });
    });

    it('twice at the token endpoint is an invalid_request saying so, in OAuth format', async () => {
      const body = 'grant_type=client_credentials';
      const answer = parse(
        await exchange(
          port,
          `POST ${TOKEN_PATH} HTTP/1.1\r\nhost: x\r\nx-partner-trace-id: first-id\r\n` +
            'x-partner-trace-id: second-id\r\ncontent-type: application/x-www-form-urlencoded\r\n' +
            `content-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`,
        ),
      );
      expect(answer.status).toBe(400);
      expect(JSON.parse(answer.body)).toEqual({
        error: 'invalid_request',
        error_description: 'A request must have at most one x-partner-trace-id header',
      });
    });
  });

  describe('the Content-Type header', () => {
    it('twice is a 400 bad_request naming it, whatever the order: Node keeps only the first', async () => {
      const body = '{"security_type":3}';
      for (const lines of [
        'content-type: text/plain\r\ncontent-type: application/json',
        'Content-Type: application/json\r\ncontent-type: text/plain',
      ]) {
        const answer = parse(
          await exchange(
            port,
            `PATCH ${armingSettingsPath(12345, 1)} HTTP/1.1\r\nhost: x\r\n${lines}\r\n` +
              `content-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`,
          ),
        );
        expect(answer.status).toBe(400);
        expect(JSON.parse(answer.body).error).toMatchObject({ code: 'bad_request', field: 'content-type' });
      }
    });
  });

  describe('the Transfer-Encoding header', () => {
    it('with a coding besides chunked is a 400 bad_request naming it, before the body is read', async () => {
      const body = '{"security_type":3}';
      for (const codings of ['gzip, chunked', 'foo, chunked']) {
        const answer = parse(
          await exchange(
            port,
            `PATCH ${armingSettingsPath(12345, 1)} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n` +
              `transfer-encoding: ${codings}\r\nconnection: close\r\n\r\n` +
              `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`,
          ),
        );
        expect(answer.status).toBe(400);
        expect(JSON.parse(answer.body).error).toMatchObject({
          code: 'bad_request',
          field: 'transfer-encoding',
        });
      }
    });

    it('chunked alone is a body like any other', async () => {
      const answer = parse(
        await exchange(
          port,
          `PATCH ${armingSettingsPath(12345, 1)} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n` +
            'transfer-encoding: chunked\r\nconnection: close\r\n\r\n2\r\n{}\r\n0\r\n\r\n',
        ),
      );
      // No token: the 401 comes first, as for any PATCH without one.
      expect(answer.status).toBe(401);
    });

    it('in an HTTP/1.0 request is a 400 naming it, and the connection closes (RFC 9112 §6.1)', async () => {
      // A keep-alive request with a request behind it: served and kept open, the chunked body
      // would frame one way here and another way for an HTTP/1.0 proxy in front.
      const body = '{"security_type":3}';
      const raw = await exchange(
        port,
        `PATCH ${armingSettingsPath(12345, 1)} HTTP/1.0\r\ncontent-type: application/json\r\n` +
          'transfer-encoding: chunked\r\nconnection: keep-alive\r\n\r\n' +
          `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n` +
          `GET ${LIVENESS_PATH} HTTP/1.0\r\n\r\n`,
      );
      const answer = parse(raw);
      expect(answer.status).toBe(400);
      expect(answer.headers.connection).toBe('close');
      expect(JSON.parse(answer.body).error).toMatchObject({
        code: 'bad_request',
        field: 'transfer-encoding',
      });
      expect(raw.match(/^HTTP\/1\.1 /gm)).toHaveLength(1);
    });
  });

  describe('an Expect other than 100-continue', () => {
    it('is served as if it had none (RFC 9110 §10.1.1), not with a bare 417', async () => {
      const answer = parse(
        await exchange(
          port,
          `GET ${LIVENESS_PATH} HTTP/1.1\r\nhost: x\r\nexpect: foo\r\nconnection: close\r\n\r\n`,
        ),
      );
      expect(answer.status).toBe(200);
      expect(answer.headers['x-partner-trace-id']).toMatch(/^[0-9a-f-]{36}$/);
    });
  });

  describe('an Upgrade the server does not take', () => {
    it('is served over HTTP/1.1, and the connection closes: Node drops what was sent behind it', async () => {
      const socket = connect(port, '127.0.0.1');
      socket.write(
        `GET ${LIVENESS_PATH} HTTP/1.1\r\nhost: x\r\nconnection: upgrade\r\nupgrade: websocket\r\n\r\n` +
          `GET ${LIVENESS_PATH} HTTP/1.1\r\nhost: x\r\n\r\n`,
      );
      // Kept open, the connection would leave the second request unanswered until the keep-alive
      // timeout: closed at once, its client knows to send it again (RFC 9112 §9.3.2).
      socket.setTimeout(2_000, () => socket.destroy());
      const answer = parse(await collect(socket));
      expect(answer.status).toBe(200);
      expect(answer.headers.upgrade).toBeUndefined();
      expect(answer.headers.connection).toBe('close');
    });

    // The router answers a path it cannot take before any hook runs, and Node drops what follows.
    it('closes the connection after a path the router refuses, too', async () => {
      const socket = connect(port, '127.0.0.1');
      socket.write(
        `GET /partner/v1/dealers/1/sites/%zz/arming-settings HTTP/1.1\r\nhost: x\r\n` +
          `connection: upgrade\r\nupgrade: websocket\r\n\r\nGET ${LIVENESS_PATH} HTTP/1.1\r\nhost: x\r\n\r\n`,
      );
      socket.setTimeout(2_000, () => socket.destroy());
      const answer = parse(await collect(socket));
      expect(answer.status).toBe(400);
      expect(answer.headers.connection).toBe('close');
    });
  });

  describe('a method the path does not serve', () => {
    it.each([
      ['PUT', armingSettingsPath(12345, 1), 'GET, HEAD, PATCH'],
      ['DELETE', `${armingSettingsPath(12345, 1)}?x=1`, 'GET, HEAD, PATCH'],
      ['GET', TOKEN_PATH, 'POST'],
      ['POST', JWKS_PATH, 'GET, HEAD'],
      ['DELETE', AUTHORIZATION_SERVER_METADATA_PATH, 'GET, HEAD'],
      ['PATCH', LIVENESS_PATH, 'GET, HEAD'],
    ])('%s %s is a 405 that lists %s in Allow', async (method, path, allow) => {
      const response = await call(url, path, { method });
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe(allow);
      expect(errorCodeOf(response)).toBe('method_not_allowed');
    });

    it('comes before authentication, and a path no route has is still a 404', async () => {
      const withoutToken = await call(url, armingSettingsPath(1, 1), { method: 'POST' });
      expect(withoutToken.status).toBe(405);
      const unknown = await call(url, '/partner/v1/nothing-here', { method: 'POST' });
      expect(unknown.status).toBe(404);
      expect(errorCodeOf(unknown)).toBe('not_found');
      expect(unknown.headers.get('allow')).toBeNull();
    });

    // Fastify reads a body before its not-found handler; none of these bodies may decide the answer.
    it.each([
      ['POST', armingSettingsPath(12345, 1), 'application/x-www-form-urlencoded', 405, 'security_type=3'],
      ['PUT', armingSettingsPath(12345, 1), 'application/json', 405, '{'],
      ['DELETE', armingSettingsPath(12345, 1), 'text/plain', 405, 'x'],
      ['PUT', armingSettingsPath(12345, 1), 'application/json', 405, `"${'x'.repeat(20_000)}"`],
      ['POST', '/partner/v1/nothing-here', 'application/json', 404, '{'],
      ['PUT', '/partner/v1/nothing-here', 'application/xml', 404, '<a/>'],
    ])('%s %s with a %s body is still a %i', async (method, path, contentType, status, body) => {
      const response = await call(url, path, { method, headers: { 'content-type': contentType }, body });
      expect(response.status).toBe(status);
      expect(errorCodeOf(response)).toBe(status === 405 ? 'method_not_allowed' : 'not_found');
      expect(response.headers.get('x-partner-trace-id')).toMatch(/^[0-9a-f-]{36}$/);
    });
  });
});

/** Writes raw bytes on a fresh connection and reads until the server closes it. */
describe('a client that stops reading its answers', () => {
  it('is cut once nothing has gone to it for as long as a request may take to arrive', async () => {
    const logged = await buildLoggedApp({ requestTimeoutMs: 1000 });
    const socket = new Socket();
    try {
      const url = await logged.app.listen({ port: 0, host: '127.0.0.1' });
      socket.connect(Number(new URL(url).port), '127.0.0.1');
      socket.on('error', () => {}); // the cut resets it
      socket.pause(); // reads nothing
      // More answer than the kernel's buffers on both ends hold (~1.4 MB each).
      socket.write('GET /docs/static/swagger-ui-bundle.js HTTP/1.1\r\nhost: x\r\n\r\n'.repeat(20));
      const open = () =>
        new Promise<number>((resolve) => logged.app.server.getConnections((_error, count) => resolve(count)));
      await expect.poll(open, { timeout: 4000 }).toBe(1);
      await expect.poll(open, { timeout: 10_000, interval: 200 }).toBe(0);
    } finally {
      socket.destroy();
      await logged.close();
    }
  }, 20_000);
});

function exchange(port: number, bytes: string): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  socket.write(bytes);
  return collect(socket);
}

function collect(socket: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

/** A raw HTTP/1.1 response: status, lower-cased headers, body. */
function parse(raw: string): { status: number; headers: IncomingMessage['headers']; body: string } {
  const [head = '', body = ''] = raw.split('\r\n\r\n');
  const [statusLine = '', ...headerLines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(statusLine.split(' ')[1]), headers, body };
}
