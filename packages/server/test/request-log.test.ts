import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { openStore, type Store } from '../src/store/store.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';

/** The request log as operators' log pipelines see it: its fields, their order, the trace id. */
describe('request logging', () => {
  const lines: Record<string, unknown>[] = [];
  let database: TestDatabase;
  let store: Store;
  let app: FastifyInstance;

  beforeAll(async () => {
    database = await createTestDatabase();
    store = await openStore(database.url);
    const output = new Writable({
      write(chunk, _encoding, done) {
        for (const text of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(text));
        done();
      },
    });
    const logger = pino({ level: 'info', base: { service: 'chekt-partner' } }, output);
    app = await buildApp({ config: { tokenTtlSeconds: 3600 }, store, logger });
    app.get('/test/logs-its-own-line', async (request) => {
      request.log.warn({ detail: 'something odd' }, 'a line of its own');
      return { level: request.log.level };
    });
  });

  afterAll(async () => {
    await app.close();
    await store.close();
    await database.drop();
  });

  const linesOf = (traceId: string) => lines.filter((line) => line.trace_id === traceId);

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

  it("what a handler logs through request.log carries the request's trace id", async () => {
    const response = await app.inject({ url: '/test/logs-its-own-line' });
    expect(response.json()).toEqual({ level: 'info' });
    const traceId = String(response.headers['x-partner-trace-id']);
    expect(linesOf(traceId).map((line) => [line.msg, line.level, line.detail])).toEqual([
      ['a line of its own', 40, 'something odd'],
      ['request completed', 30, undefined],
    ]);
  });
});
