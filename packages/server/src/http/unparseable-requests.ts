import { type IncomingMessage, maxHeaderSize, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { ERROR_CODES, type ErrorCode, TRACE_ID_HEADER } from '@chekt-partner/contract';
import type { ConnectionError, FastifyBaseLogger } from 'fastify';
import { ApiError } from '../errors.js';
import { loggedPath } from './access-log.js';
import { answerInFlight, requestStillArriving } from './connection-state.js';
import { errorBody } from './error-handler.js';
import { freshTraceId, traceIdOf } from './trace-id.js';

/**
 * Node's `clientError`: bytes that never became a request (not HTTP/1.1, headers over Node's
 * limit, or too slow to arrive). No route, hook or error handler sees them, so they are answered
 * here in the API's envelope, under the trace id of the request at fault if its headers were read,
 * else a fresh one (the caller's could not be read), and the connection is closed, as Node does,
 * since the rest of its bytes cannot be trusted.
 *
 * The error's `rawPacket` holds what was read, headers and bearer token included: it is never
 * logged, only Node's code for the failure.
 */
export function answerUnparseable(logger: FastifyBaseLogger | undefined) {
  return (error: ConnectionError, socket: Socket): void => {
    // The peer is gone: there is no one to answer, but a request it was sending is logged.
    if (error.code === 'ECONNRESET' || socket.destroyed) {
      logCutOff(socket, error.code, logger);
      return;
    }
    refuse(socket, apiErrorOf(error), error.code, logger);
  };
}

/**
 * A request whose headers arrived and whose body a reset cut short (its client killed, a proxy
 * giving up): no answer can go, and no other line will name it (access-log.ts leaves a request
 * not read whole to this file), so it is logged as one refused, with the status a body cut short
 * by a close gets. Not one already answered (a 401 sent before its body): it has its access line.
 * Nor one made whole after all: Node reports the reset before its parser is done with the bytes
 * that came before it (a body right behind an `Expect: 100-continue` head), and a request they
 * complete is served, a PATCH committed, with its access line. So it is decided a turn later.
 */
function logCutOff(socket: Socket, failure: string, logger: FastifyBaseLogger | undefined): void {
  const atFault = requestStillArriving(socket);
  if (!atFault) return;
  setImmediate(() => {
    if (atFault.complete || refusing.has(socket) || answered(socket, atFault)) return;
    refusing.add(socket);
    logger?.info(
      {
        trace_id: traceIdOf(atFault),
        method: atFault.method,
        path: loggedPath(atFault.url ?? '/'),
        status: ERROR_CODES.bad_request.status,
        client_error: failure,
      },
      'refused a request that could not be parsed',
    );
  });
}

/** The request at fault has had its answer, or its answer is being written: it has its access line. */
function answered(socket: Socket, atFault: IncomingMessage): boolean {
  const inFlight = answerInFlight(socket);
  return !inFlight || (inFlight.req === atFault && inFlight.headersSent);
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

/** Sockets already being refused: the parser reports every chunk read after the bad bytes again. */
const refusing = new WeakSet<Socket>();

function refuse(socket: Socket, apiError: ApiError, failure: string, logger: FastifyBaseLogger | undefined) {
  if (refusing.has(socket)) return;
  refusing.add(socket);
  socket.pause();
  // A request whose headers were read (its body then cut short, trickled past the timeout, or
  // badly chunked) is refused under its own trace id, and its line names it: no other line will.
  const atFault = requestStillArriving(socket);
  const traceId = atFault ? traceIdOf(atFault) : freshTraceId();
  const request = atFault ? { method: atFault.method, path: loggedPath(atFault.url ?? '/') } : {};
  const status = ERROR_CODES[apiError.code].status;
  // Not one already answered (a body over the limit, its client closing its side as it is read
  // after the answer, lingering-close.ts): it has its access line, and is not refused.
  if (!atFault || !answered(socket, atFault)) {
    logger?.info(
      { trace_id: traceId, ...request, status, client_error: failure },
      'refused a request that could not be parsed',
    );
  }
  const body = JSON.stringify(errorBody(apiError, traceId));
  afterEarlierAnswers(socket, () => {
    if (canAnswer(socket) && !inBodyOfAnAnsweredRequest(socket)) {
      socket.write(rawResponse(status, traceId, body));
    }
    socket.destroy();
  });
}

/**
 * Runs `then` once every request read whole on this connection before the bad bytes has been
 * answered. Those requests are being served (a PATCH among them may be committing): their answers
 * come first, in order (RFC 9112 §9.3.2), and the refusal after them. Node's own clientError answer
 * would write the refusal ahead of them and cut them off, and the client would read the 400 as the
 * answer to a PATCH that was made. A request still arriving (a body cut short by the timeout, or
 * broken chunking) is the one at fault: it is refused at once.
 */
function afterEarlierAnswers(socket: Socket, then: () => void): void {
  const inFlight = answerInFlight(socket);
  if (!inFlight?.req.complete) {
    then();
    return;
  }
  // Node's own 'finish' listener, added first, has by then handed the socket to the next answer.
  inFlight.once('finish', () => afterEarlierAnswers(socket, then));
}

/**
 * Node's own guard (its default clientError answer): never write into an answer already under way
 * (to the request at fault); the peer would read a corrupt stream.
 */
function canAnswer(socket: Socket): boolean {
  return socket.writable && !answerInFlight(socket)?.headersSent;
}

/**
 * The bad bytes were in the body of a request that has had its answer (a 401 sent before its body
 * had all arrived, say): nothing is waiting for an answer, and a second one to the same request
 * would read as the answer to a request never sent. The connection is closed without a word.
 */
function inBodyOfAnAnsweredRequest(socket: Socket): boolean {
  return !answerInFlight(socket) && requestStillArriving(socket) !== undefined;
}

function apiErrorOf(error: ConnectionError): ApiError {
  if (error.code === 'HPE_HEADER_OVERFLOW' && requestLineOverflowed(error.rawPacket)) {
    return new ApiError('uri_too_long');
  }
  const code: ErrorCode = CLIENT_ERRORS[error.code] ?? 'bad_request';
  if (code !== 'bad_request') return new ApiError(code);
  return new ApiError(code, { message: 'The request is not valid HTTP/1.1' });
}

/**
 * Node's parser has one limit for the request line and the headers together (16 KiB). A request
 * line that alone is longer holds a target too long to parse, which is a 414 (RFC 9112 §3), not a
 * 431. It is told from the bytes read last: a request they start (at their start, or after a blank
 * line, when earlier requests came in the same bytes) begins with a request line (a method, a
 * space, a target) that reaches past the limit before it ends. A long target whose bytes came in
 * several pieces, the last of which no longer starts the request, stays a 431.
 */
function requestLineOverflowed(rawPacket: unknown): boolean {
  if (!Buffer.isBuffer(rawPacket)) return false;
  let start = 0;
  while (start < rawPacket.length) {
    if (startsOverlongRequestLine(rawPacket.subarray(start))) return true;
    const blankLine = rawPacket.indexOf('\r\n\r\n', start);
    if (blankLine === -1) return false;
    start = blankLine + 4;
  }
  return false;
}

function startsOverlongRequestLine(bytes: Buffer): boolean {
  const lineEnd = bytes.indexOf(0x0a);
  const lineLength = lineEnd === -1 ? bytes.length : lineEnd;
  if (lineLength <= maxHeaderSize) return false;
  return REQUEST_LINE_START.test(bytes.subarray(0, 32).toString('latin1'));
}

// A method (RFC 9110 §9: a token, in practice upper-case) and the start of a target: a path, an
// absolute URI or `*` (RFC 9112 §3.2). Not just any word and a space, which a header's long value
// arriving in a later piece can begin with.
const REQUEST_LINE_START = /^[A-Z][A-Z0-9_-]* (?:\/|https?:\/\/|\*)/;

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
