import type { IncomingMessage } from 'node:http';
import { isValidTraceId, TRACE_ID_HEADER } from '@chekt-partner/contract';
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../errors.js';
import { FlatUuids } from './flat-uuids.js';

const freshIds = new FlatUuids();

/**
 * The request id *is* the trace id: the caller's x-partner-trace-id when it is sane, otherwise a
 * fresh UUID. Fastify stamps it on every log line of the request.
 */
export function traceIdOf(request: IncomingMessage): string {
  const sent = request.headers[TRACE_ID_HEADER];
  return typeof sent === 'string' && isValidTraceId(sent) ? sent : freshTraceId();
}

/** A fresh trace id (a UUID), for an answer to a caller who sent none or whose could not be read. */
export function freshTraceId(): string {
  return freshIds.take();
}

/**
 * Echoes the trace id on every response and refuses an unusable one before it reaches a log.
 * The header is set as the request arrives, so every answer carries it, errors included (Fastify
 * keeps headers set before an error); no onSend hook runs per request. A callback-style hook:
 * this runs on every request, and an async hook costs a promise each time.
 */
export function registerTraceId(app: FastifyInstance): void {
  app.addHook('onRequest', (request, reply, done) => {
    reply.header(TRACE_ID_HEADER, request.id);
    const sent = request.headers[TRACE_ID_HEADER];
    if (sent !== undefined && sent !== request.id) {
      done(new ApiError('invalid_trace_id', { field: TRACE_ID_HEADER }));
      return;
    }
    done();
  });
}
