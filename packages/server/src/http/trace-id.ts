import type { IncomingMessage } from 'node:http';
import { isValidTraceId, TRACE_ID_HEADER } from '@chekt-partner/contract';
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
