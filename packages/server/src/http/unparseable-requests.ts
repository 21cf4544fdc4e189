import { type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { ERROR_CODES, type ErrorCode, TRACE_ID_HEADER } from '@chekt-partner/contract';
import type { ConnectionError, FastifyBaseLogger } from 'fastify';
import { ApiError } from '../errors.js';
import { errorBody } from './error-handler.js';
import { freshTraceId } from './trace-id.js';

/**
 * Node's `clientError`: bytes that never became a request (not HTTP/1.1, headers over Node's
 * limit, or too slow to arrive). No route, hook or error handler sees them, so they are answered
 * here in the API's envelope with a fresh trace id (the caller's could not be read), and the
 * connection is closed, as Node does, since the rest of its bytes cannot be trusted.
 *
 * The error's `rawPacket` holds what was read, headers and bearer token included: it is never
 * logged, only Node's code for the failure.
 */
export function answerUnparseable(logger: FastifyBaseLogger | undefined) {
  return (error: ConnectionError, socket: Socket): void => {
    // The peer is gone: there is no one to answer.
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    refuse(socket, apiErrorOf(error), error.code, logger);
  };
}

/**
 * Node's `connect`: a CONNECT request, which asks for a tunnel. No route ever sees one (with no
 * listener Node just closes the connection, without a word), and this server is no proxy: it is
 * refused like bytes that never became a request of ours, in the envelope.
 */
export function answerConnect(logger: FastifyBaseLogger | undefined) {
  return (_request: IncomingMessage, socket: Socket): void => {
    const refusal = new ApiError('bad_request', {
      message: 'CONNECT is not supported: this server is no proxy',
    });
    refuse(socket, refusal, 'CONNECT', logger);
  };
}

function refuse(socket: Socket, apiError: ApiError, failure: string, logger: FastifyBaseLogger | undefined) {
  const traceId = freshTraceId();
  const status = ERROR_CODES[apiError.code].status;
  logger?.info(
    { trace_id: traceId, status, client_error: failure },
    'refused a request that could not be parsed',
  );
  const body = JSON.stringify(errorBody(apiError, traceId));
  if (canAnswer(socket)) socket.write(rawResponse(status, traceId, body));
  socket.destroy();
}

/**
 * Node's own guard (its default clientError answer): never write into a response of an earlier
 * request on this connection that is already under way; the peer would read a corrupt stream.
 */
function canAnswer(socket: Socket): boolean {
  const inFlight = (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage;
  return socket.writable && !inFlight?.headersSent;
}

function apiErrorOf(error: ConnectionError): ApiError {
  const code: ErrorCode = CLIENT_ERRORS[error.code] ?? 'bad_request';
  if (code !== 'bad_request') return new ApiError(code);
  return new ApiError(code, { message: 'The request is not valid HTTP/1.1' });
}

const CLIENT_ERRORS: Record<string, ErrorCode> = {
  ERR_HTTP_REQUEST_TIMEOUT: 'request_timeout',
  HPE_HEADER_OVERFLOW: 'headers_too_large',
};

function rawResponse(status: number, traceId: string, body: string): string {
  return [
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}`,
    // RFC 9110 §6.6.1: an origin server with a clock sends Date on every 4xx, these included.
    `date: ${new Date().toUTCString()}`,
    'content-type: application/json; charset=utf-8',
    `content-length: ${Buffer.byteLength(body)}`,
    `${TRACE_ID_HEADER}: ${traceId}`,
    'connection: close',
    '',
    body,
  ].join('\r\n');
}
