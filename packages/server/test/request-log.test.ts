import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ACCESS_LINE_MESSAGE, type AccessLine } from '../src/logging/access-lines.js';
import { LazyChildLogger } from '../src/logging/lazy-child-logger.js';
import { logOutput } from '../src/logging/log-output.js';
import { createLogging } from '../src/logging/logger.js';
import { buildLoggedApp, type LoggedApp } from './support/logged-app.js';

/** The request log as operators' log pipelines see it: its fields, their order, the trace id. */
describe('request logging', () => {
  let logged: LoggedApp;
  let app: FastifyInstance;
  const linesOf = (traceId: string) => logged.linesOf(traceId);

  beforeAll(async () => {
    logged = await buildLoggedApp();
    app = logged.app;
    app.get('/test/logs-its-own-line', async (request) => {
      request.log.warn({ detail: 'something odd' }, 'a line of its own');
      return { level: request.log.level };
    });
  });

  afterAll(() => logged.close());

  it("one access line per request, in the fields and order of a pino child bound to the request's trace id", async () => {
    const response = await app.inject({ url: '/partner/v1/dealers/1/sites/1/arming-settings?x=1' });
    expect(response.statusCode).toBe(401);
    const traceId = String(response.headers['x-partner-trace-id']);
    const [line, ...others] = linesOf(traceId);
    expect(others).toEqual([]);
    expect(Object.keys(line ?? {})).toEqual([
      'level',
      'time',
      'service',
      'trace_id',
      'method',
      'path',
      'status',
      'latency_ms',
      'msg',
    ]);
    expect(line).toMatchObject({
      level: 30,
      method: 'GET',
      path: '/partner/v1/dealers/1/sites/1/arming-settings',
      status: 401,
      msg: 'request completed',
    });
  });

  it('a path the router cannot decode still gets its one access line', async () => {
    const path = '/partner/v1/dealers/%ZZ/sites/1/arming-settings';
    const response = await app.inject({
      url: `${path}?q=1`,
      headers: { 'x-partner-trace-id': 'unroutable-1' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.headers['x-partner-trace-id']).toBe('unroutable-1');
    const [line, ...others] = linesOf('unroutable-1');
    expect(others).toEqual([]);
    expect(line).toMatchObject({ level: 30, method: 'GET', path, status: 400, msg: ACCESS_LINE_MESSAGE });
  });

  it('logs only the path of a target: no query, no fragment, no user info of an absolute-form target', async () => {
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    const { host } = new URL(address);
    const targets = {
      'absolute-userinfo': [
        `http://demo-client:S3CRET@${host}/openapi.json?client_secret=X`,
        '/openapi.json',
      ],
      'absolute-no-path': [`http://demo-client:S3CRET@${host}?q=S3CRET`, '/'],
      'absolute-authority-only': [`http://demo-client:S3CRET@${host}`, '/'],
      fragment: ['/healthz#access_token=S3CRET', '/healthz'],
      'fragment-then-query': ['/healthz#S3CRET?x=1', '/healthz'],
    };
    for (const [traceId, [target]] of Object.entries(targets)) {
      await rawRequest(
        address,
        `GET ${target} HTTP/1.1\r\nHost: ${host}\r\nx-partner-trace-id: ${traceId}\r\nConnection: close\r\n\r\n`,
      );
    }
    for (const [traceId, [, path]] of Object.entries(targets)) {
      const [line, ...others] = linesOf(traceId);
      expect(others).toEqual([]);
      expect(line).toMatchObject({ path, msg: ACCESS_LINE_MESSAGE });
    }
    expect(logged.logText()).not.toContain('S3CRET');
  });

  it('a download the client cuts off still gets its one access line', async () => {
    const address = app.server.listening
      ? listeningUrl(app)
      : await app.listen({ port: 0, host: '127.0.0.1' });
    const { hostname, port } = new URL(address);
    await new Promise<void>((resolve, reject) => {
      const socket = connect(Number(port), hostname, () =>
        socket.write(
          'GET /docs/static/swagger-ui-bundle.js HTTP/1.1\r\nHost: x\r\nx-partner-trace-id: cut-off\r\n\r\n',
        ),
      );
      let received = 0;
      socket.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > 64 * 1024) socket.destroy();
      });
      socket.on('close', () => resolve());
      socket.on('error', reject);
    });
    await expect.poll(() => linesOf('cut-off').length, { timeout: 5000 }).toBe(1);
    expect(linesOf('cut-off')[0]).toMatchObject({
      path: '/docs/static/swagger-ui-bundle.js',
      status: 200,
      msg: ACCESS_LINE_MESSAGE,
    });
  });

  it("what a handler logs through request.log carries the request's trace id", async () => {
    const response = await app.inject({ url: '/test/logs-its-own-line' });
    expect(response.json()).toEqual({ level: 'info' });
    const traceId = String(response.headers['x-partner-trace-id']);
    expect(linesOf(traceId).map((line) => [line.msg, line.level, line.detail])).toEqual([
      ['a line of its own', 40, 'something odd'],
      ['request completed', 30, undefined],
    ]);
  });

  it('a request that logs nothing of its own builds no child logger; one that does, builds one', async () => {
    const child = vi.spyOn(app.log, 'child');
    try {
      const quiet = await app.inject({ url: '/partner/v1/dealers/1/sites/1/arming-settings' });
      expect(quiet.statusCode).toBe(401);
      expect(child).not.toHaveBeenCalled();
      await app.inject({ url: '/test/logs-its-own-line' });
      expect(child).toHaveBeenCalledTimes(1);
      expect(child.mock.calls[0]?.[0]).toEqual({ trace_id: expect.any(String) });
    } finally {
      child.mockRestore();
    }
  });
});

describe('LazyChildLogger: a request logger built on first use', () => {
  it("reads the parent's level until built, and a level set applies to the child alone", () => {
    const parent = pino({ level: 'info' });
    const lazy = new LazyChildLogger(parent, { trace_id: 't' }, {});
    expect(lazy.level).toBe('info');
    lazy.level = 'debug';
    expect(lazy.level).toBe('debug');
    expect(parent.level).toBe('info');
  });

  it("writes exactly what pino's child writes, whatever the arguments", () => {
    const lines: string[] = [];
    const parent = pino({ base: null, timestamp: false }, { write: (line: string) => lines.push(line) });
    const calls: [unknown, ...unknown[]][] = [
      ['hello'],
      [{ a: 1 }],
      [{ a: 1 }, 'm'],
      ['x %s %d', 'y', 3],
      [{ a: 1 }, 'm %s', 'z'],
      [new Error('boom')],
      [undefined, 'u'],
    ];
    for (const [obj, ...rest] of calls) {
      lines.length = 0;
      (parent.child({ trace_id: 't' }).warn as (...args: unknown[]) => void)(obj, ...rest);
      (new LazyChildLogger(parent, { trace_id: 't' }, {}).warn as (...args: unknown[]) => void)(obj, ...rest);
      expect(lines).toHaveLength(2);
      expect(lines[1]).toBe(lines[0]);
    }
  });

  it("takes a level from the child's options", () => {
    const lazy = new LazyChildLogger(pino({ level: 'info' }), { trace_id: 't' }, { level: 'warn' });
    expect(lazy.level).toBe('warn');
  });
});

describe('AccessLines: the access line without pino’s generic serializer', () => {
  let dir: string;
  let file: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'chekt-access-lines-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function loggingToFile(level: string, name: string) {
    file = join(dir, name);
    return createLogging(level, logOutput(file));
  }

  /** Written lines, each with its time replaced: the two writers may straddle a millisecond. */
  function writtenLines(): string[] {
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => line.replace(/"time":"[^"]+"/, '"time":"T"'));
  }

  const cases: AccessLine[] = [
    {
      trace_id: '5c2d0f0e-3b1a-4c55-9d6e-0a1b2c3d4e5f',
      method: 'PATCH',
      path: '/partner/v1/dealers/12345/sites/1/arming-settings',
      status: 200,
      latency_ms: 1.25,
      client_id: 'demo-client',
      dealer_id: 12345,
      site_id: 1,
    },
    // A 401: nothing is known of the caller, the dealer or the site.
    { trace_id: 'caller-trace', method: 'GET', path: '/x', status: 401, latency_ms: 0 },
    // What a path may hold once Node has decoded the request line as latin1, and beyond.
    {
      trace_id: 't"\\\u0001',
      method: 'GET',
      path: '/a"b\\c\u0001\u001f\u007f\u00e9\u2028\ud800/',
      status: 404,
      latency_ms: 123456.78,
      client_id: '',
    },
    // Quotes, backslashes and characters past ASCII, but no control character.
    {
      trace_id: 'a\\b"c',
      method: 'GET',
      path: '/caf\u00e9/"q"/\u00ff\u2028',
      status: 500,
      latency_ms: 0.07,
      dealer_id: 7,
    },
    // Numbers that JSON cannot hold.
    { trace_id: 'n', method: 'GET', path: '/n', status: 200, latency_ms: Number.NaN, site_id: Infinity },
  ];

  it('writes, byte for byte, what pino writes for the same line', () => {
    const { logger, accessLines } = loggingToFile('info', 'same.log');
    for (const { trace_id, ...fields } of cases) {
      logger.child({ trace_id }).info(fields, ACCESS_LINE_MESSAGE);
      expect(accessLines.write({ trace_id, ...fields })).toBe(true);
    }
    logger.flush();
    const lines = writtenLines();
    expect(lines).toHaveLength(2 * cases.length);
    for (let i = 0; i < cases.length; i += 1) {
      expect(lines[2 * i + 1]).toBe(lines[2 * i]);
      expect(JSON.parse(String(lines[2 * i + 1]))).toMatchObject({ level: 30, service: 'chekt-partner' });
    }
  });

  it('writes nothing when the level hides info lines', () => {
    const { logger, accessLines } = loggingToFile('warn', 'quiet.log');
    expect(accessLines.write(cases[0] as AccessLine)).toBe(false);
    logger.flush();
    expect(writtenLines()).toEqual([]);
  });
});

function listeningUrl(app: FastifyInstance): string {
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('not listening on TCP');
  return `http://127.0.0.1:${address.port}`;
}

/** Sends `bytes` as they are and resolves with the answer once the server closes the connection. */
function rawRequest(address: string, bytes: string): Promise<string> {
  const { hostname, port } = new URL(address);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.end(bytes));
    let answer = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      answer += chunk;
    });
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}
