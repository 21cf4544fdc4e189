import { TRACE_ID_HEADER } from '@chekt-partner/contract';
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../errors.js';
import { isClosing } from './graceful-close.js';
import { requestsWaitingOn } from './pipelining.js';

/**
 * What every request's headers are checked for, first of all, in one callback-style hook: it runs
 * on every request, and an async hook, or a hook per check, would cost each request more.
 * - The trace id (the request id: traceIdOf) is echoed on the answer as the request arrives, so
 *   every answer carries it, errors included (Fastify keeps headers set before an error); one
 *   that cannot be used is refused before it reaches a log.
 * - RFC 9112 §3.2: a request without Host (HTTP/1.1), with two Host lines, or with a Host that is
 *   not a host is a 400. Node would answer a missing Host itself with an empty body; the app
 *   turns its check off (app.ts), so that this answer too is the envelope with a code and the
 *   trace id. HTTP/1.0 needs no Host.
 * - While the server shuts down, every answer closes its connection.
 *   (So does the answer to a request that asks to switch protocols: pipelining.ts.)
 * - Two Authorization lines are a 400 (RFC 6750 §3.1, invalid_request): Node keeps only the
 *   first, so the request's outcome would depend on the order of its headers. So are two
 *   Content-Type lines (RFC 9110 §5.3: not a list), for the same reason: `text/plain` then
 *   `application/json` was a 415, the other way round a 200, and a proxy or firewall that reads
 *   the last could take the JSON body for text.
 * - A transfer coding besides chunked (`gzip, chunked`) is a 400: Node undoes only the chunking
 *   and would hand on a body still in the other coding, or take a plain one that only claims it.
 *   (RFC 9112 §6.1 suggests a 501; the contract's codes are for what a client can fix.)
 * - So is any Transfer-Encoding in an HTTP/1.0 request, and its connection closes: HTTP/1.0 has no
 *   transfer codings, so RFC 9112 §6.1 says its framing is faulty. Node read the body as chunked
 *   and kept the connection, while an HTTP/1.0 proxy in front frames the same bytes otherwise.
 */
export function registerRequestHeaderChecks(app: FastifyInstance): void {
  app.addHook('onRequest', (request, reply, done) => {
    reply.header(TRACE_ID_HEADER, request.id);
    // Shutting down (closeGracefully): the connection closes after this answer, unless requests
    // pipelined behind it wait for theirs; the last of them closes it.
    if (isClosing(app.server) && requestsWaitingOn(request.raw.socket) === 0)
      reply.header('connection', 'close');
    // traceIdOf made the caller's trace id the request id only if it is valid: a sent value that
    // is not the request id was refused there, and is refused here, without checking it twice.
    const sent = request.headers[TRACE_ID_HEADER];
    if (sent !== undefined && sent !== request.id) {
      done(traceIdError(request.raw.rawHeaders));
      return;
    }
    done(
      hostError(request.headers.host, request.raw.httpVersion) ??
        repeatedHeaderError(request.raw.rawHeaders) ??
        transferCodingError(request.headers['transfer-encoding'], request.raw.httpVersion),
    );
  });
  serveUnknownExpectations(app);
}

function transferCodingError(codings: string | undefined, httpVersion: string): ApiError | undefined {
  if (codings === undefined) return undefined;
  if (httpVersion === '1.0') {
    return new ApiError('bad_request', {
      field: 'transfer-encoding',
      message: 'An HTTP/1.0 request may not have a Transfer-Encoding: send Content-Length',
      headers: { connection: 'close' },
    });
  }
  if (codings.trim().toLowerCase() === 'chunked') return undefined;
  return new ApiError('bad_request', {
    field: 'transfer-encoding',
    message: 'Transfer-Encoding may only be chunked: send the body without any other coding',
  });
}

// RFC 9110 §7.2: uri-host [ ":" port ], the host an IP literal or a reg-name (RFC 3986 §3.2.2),
// whose `%` starts a pct-encoded octet: `%zz` is no host. The host may not be empty (§4.2.1: an
// http URI with an empty host is invalid), nor the port past 65535 (hostError): /openapi.json
// names the Host it was asked on, and a URL with either would be no URL at all.
const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|(?:[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})+)(?::([0-9]{0,5}))?$/;
const MAX_PORT = 65535;

function hostError(host: string | undefined, httpVersion: string): ApiError | undefined {
  if (host === undefined) {
    if (httpVersion !== '1.1') return undefined;
    return new ApiError('bad_request', {
      field: 'host',
      message: 'An HTTP/1.1 request must have a Host header',
    });
  }
  const valid = HOST.exec(host);
  const port = Number(valid?.[1] || 0);
  if (valid && port <= MAX_PORT) return undefined;
  return new ApiError('bad_request', { field: 'host', message: 'The Host header is not a valid host' });
}

/**
 * A refused x-partner-trace-id. Sent twice, Node joins the two values with ", ", which no valid
 * trace id contains: the refusal then says so, rather than that each value should have been
 * 1-128 visible ASCII characters, which each may well have been. (Only refused requests count.)
 */
function traceIdError(rawHeaders: string[]): ApiError {
  let sent = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if ((rawHeaders[i] as string).toLowerCase() === TRACE_ID_HEADER) sent++;
  }
  if (sent < 2) return new ApiError('invalid_trace_id', { field: TRACE_ID_HEADER });
  return new ApiError('invalid_trace_id', {
    field: TRACE_ID_HEADER,
    message: `A request must have at most one ${TRACE_ID_HEADER} header`,
  });
}

/** Host, Authorization and Content-Type, which Node keeps only the first of, each at most once. */
function repeatedHeaderError(rawHeaders: string[]): ApiError | undefined {
  let hosts = 0;
  let authorizations = 0;
  let contentTypes = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    if (name.length === 4 && name.toLowerCase() === 'host') hosts++;
    else if (name.length === 13 && name.toLowerCase() === 'authorization') authorizations++;
    else if (name.length === 12 && name.toLowerCase() === 'content-type') contentTypes++;
  }
  if (hosts > 1) {
    return new ApiError('bad_request', { field: 'host', message: 'A request must have one Host header' });
  }
  if (authorizations > 1) {
    return new ApiError('bad_request', {
      field: 'authorization',
      message: 'A request must have at most one Authorization header',
    });
  }
  if (contentTypes > 1) {
    return new ApiError('bad_request', {
      field: 'content-type',
      message: 'A request must have at most one Content-Type header',
    });
  }
  return undefined;
}

/**
 * An `Expect` other than 100-continue: Node answers it with a bare 417 of its own, without the
 * envelope, the trace id or an access line. RFC 9110 §10.1.1 lets a server answer it with 417 or
 * not at all, so the request is served as if it had no expectation, like any other.
 */
function serveUnknownExpectations(app: FastifyInstance): void {
  app.server.on('checkExpectation', (request, response) => {
    app.server.emit('request', request, response);
  });
}
