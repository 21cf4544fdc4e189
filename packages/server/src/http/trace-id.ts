import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isValidTraceId, TRACE_ID_HEADER } from '@chekt-partner/contract';
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../errors.js';

/**
 * The request id *is* the trace id: the caller's x-partner-trace-id when it is sane, otherwise a
 * fresh UUID. Fastify stamps it on every log line of the request.
 */
export function traceIdOf(request: IncomingMessage): string {
  const sent = request.headers[TRACE_ID_HEADER];
  return typeof sent === 'string' && isValidTraceId(sent) ? sent : randomUUID();
}

/**
 * Echoes the trace id on every response and refuses an unusable one before it reaches a log.
 * Callback-style hooks: these run on every request, and an async hook costs a promise each time.
 */
export function registerTraceId(app: FastifyInstance): void {
  app.addHook('onRequest', (request, _reply, done) => {
    const sent = request.headers[TRACE_ID_HEADER];
    if (sent !== undefined && sent !== request.id) {
      done(new ApiError('invalid_trace_id', { field: TRACE_ID_HEADER }));
      return;
    }
    done();
  });
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header(TRACE_ID_HEADER, request.id);
    done(null, payload);
  });
}
