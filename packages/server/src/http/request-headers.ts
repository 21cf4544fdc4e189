import { TRACE_ID_HEADER } from '@chekt-partner/contract';
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../errors.js';

/**
 * What every request's headers are checked for, first of all, in one callback-style hook: it runs
 * on every request, and an async hook, or a hook per check, would cost each request more.
 * - The trace id (the request id: traceIdOf) is echoed on the answer as the request arrives, so
 *   every answer carries it, errors included (Fastify keeps headers set before an error); one
 *   that cannot be used is refused before it reaches a log.
 * - RFC 9112 §3.2: an HTTP/1.1 request without Host is a 400. Node would send that answer itself
 *   with an empty body; the app turns its check off (app.ts), so that this answer too is the
 *   envelope with a code and the trace id. HTTP/1.0 needs no Host.
 */
export function registerRequestHeaderChecks(app: FastifyInstance): void {
  app.addHook('onRequest', (request, reply, done) => {
    reply.header(TRACE_ID_HEADER, request.id);
    // traceIdOf made the caller's trace id the request id only if it is valid: a sent value that
    // is not the request id was refused there, and is refused here, without checking it twice.
    const sent = request.headers[TRACE_ID_HEADER];
    if (sent !== undefined && sent !== request.id) {
      done(new ApiError('invalid_trace_id', { field: TRACE_ID_HEADER }));
      return;
    }
    if (request.headers.host === undefined && request.raw.httpVersion === '1.1') {
      done(
        new ApiError('bad_request', {
          field: 'host',
          message: 'An HTTP/1.1 request must have a Host header',
        }),
      );
      return;
    }
    done();
  });
}
