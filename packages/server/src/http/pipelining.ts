import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { answerInFlight } from './connection-state.js';

/**
 * How many requests read on one connection may wait for the answers before theirs. Past it, the
 * connection is not read until half of them have had their turn.
 */
const MAX_WAITING = 32;

/**
 * Past this many waiting on one connection, it is ended, and what else it sent is not parsed: a
 * client this far ahead of its answers is flooding, not pipelining.
 */
const MAX_WAITING_BEFORE_END = 2 * MAX_WAITING;

const waitingOn = new WeakMap<Socket, number>();

/** Connections cut for their flood: the requests waiting on them are not served. */
const cutOff = new WeakSet<Socket>();

/**
 * A client may send its next requests on a connection without waiting for each answer
 * (pipelining, RFC 9112 §9.3.2). Node hands every request it reads to the app at once and only
 * queues the answers in order, so a GET sent behind a PATCH of the same site was served while the
 * PATCH was still being committed, and answered the value from before it. The RFC lets a server
 * work on pipelined requests in parallel only when all of them are safe: here a request whose
 * answer waits behind another's on its connection waits to be handled too, so each connection's
 * requests are served one after another, in the order they came.
 *
 * Node stops reading a connection once the answers queued on it hold too many bytes, against a
 * flood of pipelined requests; requests that wait here have written nothing yet, so that guard
 * never tripped, and a client that sent requests without reading any answer grew the server's
 * memory without bound (3 GB) and froze it when it left. So this stops reading the connection
 * itself while too many wait.
 *
 * Nearly every request is first in line, and pays one property read for this.
 */
export function serveEachConnectionInOrder(app: FastifyInstance): void {
  app.server.on('connection', watchEachRequestRead);
  app.addHook('onRequest', (request, reply, done) => {
    // Node gives a response the connection's socket when the answers before it have gone.
    if (reply.raw.socket !== null) {
      done();
      return;
    }
    const socket = request.raw.socket;
    const waiting = requestsWaitingOn(socket) + 1;
    waitingOn.set(socket, waiting);
    if (waiting > MAX_WAITING) stopReading(socket);
    reply.raw.once('socket', () => {
      if (cutOff.has(socket)) return;
      const left = requestsWaitingOn(socket) - 1;
      waitingOn.set(socket, left);
      if (left <= MAX_WAITING / 2) readAgain(socket);
      done();
    });
  });
}

/** What Node's own guard uses (_http_server.js): its flag, and the parser it reads with. */
type HttpSocket = Socket & { _paused?: boolean; parser?: HttpParser | null };

interface HttpParser {
  resume(): void;
  /** Node's per-connection handler of each request the parser has read the head of. */
  onIncoming?: (request: IncomingMessage & { upgrade: boolean }, keepAlive: boolean) => number;
}

/** What onIncoming returns to stop the parser where it is (Node's answer for an upgrade). */
const STOP_PARSING = 2;

/**
 * Stands in front of Node's hand-off of each request its parser has read the head of, for two
 * things that hand-off gets wrong, routed requests and unroutable ones alike:
 *
 * - A request that asks to switch protocols (Upgrade, and `upgrade` in Connection): Node's parser
 *   stops at its end and drops the bytes that came with it, so a request sent right behind it
 *   went unanswered while the connection stayed open until the keep-alive timeout (72 s). We never
 *   switch (RFC 9110 §7.8 lets a server stay on HTTP/1.1), so its answer closes the connection.
 * - A flood: stopping to read (stopReading) takes effect only once the parser is done with what
 *   one read brought in, up to 64 KiB: some 1,800 of the smallest requests, each kept in memory
 *   (~3 KB) until its turn. A few thousand connections sending them without reading an answer
 *   took the 4 GB heap and stopped the process. So at the request that would make
 *   MAX_WAITING_BEFORE_END wait, the parser is stopped as Node stops it at an upgrade, and the
 *   rest of the bytes are dropped with the connection.
 */
function watchEachRequestRead(socket: HttpSocket): void {
  const parser = socket.parser;
  const handOn = parser?.onIncoming;
  if (!parser || !handOn) return;
  parser.onIncoming = (request, keepAlive) => {
    if (requestsWaitingOn(socket) < MAX_WAITING_BEFORE_END)
      return handOn(request, keepAlive && !request.upgrade);
    endAfterAnswerInFlight(socket);
    return stopParsing(socket, request);
  };
}

/**
 * After an answer that closes the connection, no further request on it is served (RFC 9112
 * §9.6), though its parser may still read on (lingering-close.ts): it stops at the next request's
 * head instead of handing it on.
 */
export function serveNoFurtherRequests(socket: HttpSocket): void {
  if (!socket.parser) return;
  socket.parser.onIncoming = (request) => stopParsing(socket, request);
}

/**
 * Node takes this stop for an upgrade nobody listens for, and drops what follows. It also takes
 * its own 'error' listener off the socket: an error then (a client's reset as the answer in
 * flight is written) went unhandled and ended the process. The socket destroys itself on such an
 * error; the listener put in its place only takes it.
 */
function stopParsing(socket: Socket, request: IncomingMessage & { upgrade: boolean }): number {
  socket.on('error', ignoreError);
  request.upgrade = true;
  return STOP_PARSING;
}

function ignoreError(): void {}

/**
 * Ends a cut connection once the answer being made on it has been sent, and serves none of the
 * requests waiting behind it. The request being served may be a PATCH already committed:
 * destroying the connection at once left the site changed and the client without an answer, so
 * it could not tell whether its change was made. Those waiting were not begun, and a client may
 * send them again. Should the client not read that answer, stalled-readers.ts cuts it.
 */
function endAfterAnswerInFlight(socket: Socket): void {
  cutOff.add(socket);
  const answer = answerInFlight(socket);
  if (!answer || answer.writableFinished) {
    socket.destroySoon();
    return;
  }
  // Node gives the socket to the next waiting answer first ('finish' is its own listener's too).
  answer.once('finish', () => socket.destroySoon());
  answer.once('close', () => socket.destroySoon());
}

/**
 * Stops reading the connection as Node's guard does: its flag set, Node pauses the connection's
 * parser too once the bytes it is parsing are done (the parser reads the socket directly, so
 * pausing the socket alone would not stop it).
 */
function stopReading(socket: HttpSocket): void {
  if (socket._paused) return;
  socket._paused = true;
  socket.pause();
}

/** Reads the connection again, as Node does once its guard lets go; not while its writes back up. */
function readAgain(socket: HttpSocket): void {
  if (!socket._paused || socket.writableNeedDrain) return;
  socket._paused = false;
  socket.parser?.resume();
  socket.resume();
}

/** Requests read on this connection that wait for their turn (graceful-close.ts: not quiet). */
export function requestsWaitingOn(socket: Socket): number {
  return waitingOn.get(socket) ?? 0;
}
