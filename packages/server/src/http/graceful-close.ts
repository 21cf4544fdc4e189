import type { Server } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { answerInFlight } from './connection-state.js';
import { openConnectionsOf } from './open-connections.js';
import { requestsWaitingOn } from './pipelining.js';

/**
 * How long a keep-alive connection gets to bring its next request once the server stops
 * accepting: under load nearly every connection has a request on its way, which closing the
 * connection at once would cut off (the client sees a reset and cannot tell whether its PATCH
 * was made). A connection quiet for this long is closed.
 */
const IDLE_GRACE_MS = 1000;

/**
 * After the grace, how often connections that have gone quiet are closed: a request that was in
 * flight when the signal landed leaves its connection open (its answer was already on its way
 * without `Connection: close`), and without another sweep the shutdown would wait for the deadline.
 */
const SWEEP_INTERVAL_MS = 100;

/**
 * How long the listening socket may stay open after the signal while connections the kernel has
 * already completed are still being taken in (takeInWaitingConnections). Well under
 * IDLE_GRACE_MS, so that every one taken in has been read before the first sweep looks at it.
 */
const TAKE_IN_LIMIT_MS = 500;

/**
 * Shuts the app down without cutting requests off: stop accepting connections; answer every
 * request that still comes on an open one, with `Connection: close` (registerRequestHeaderChecks),
 * so each connection closes after its answer; close the ones that stay quiet for IDLE_GRACE_MS,
 * and from then on each one as soon as its last answer has gone; cut the rest after `timeoutMs` (a client that never finishes its request must not hold the
 * shutdown forever); then close the app, and with it the database.
 *
 * Node's own `server.close()` (which Fastify's close calls) would close every connection without
 * a request in progress at once, and stop enforcing the request timeout.
 */
export async function closeGracefully(app: FastifyInstance, timeoutMs: number): Promise<void> {
  const server = app.server;
  const deadline = delay(timeoutMs, undefined, { ref: false });
  const { listenerClosed, drained } = stopAccepting(server, Math.min(TAKE_IN_LIMIT_MS, timeoutMs));
  await Promise.race([drained, delay(Math.min(IDLE_GRACE_MS, timeoutMs), undefined, { ref: false })]);
  closeIdleAfterReading(server);
  const sweeper = setInterval(() => closeIdleAfterReading(server), SWEEP_INTERVAL_MS);
  await Promise.race([drained, deadline]);
  clearInterval(sweeper);
  // With a deadline as short as the take-in, a connection taken in after closing all the others
  // would hold the shutdown until its request timeout: none is, once the listener is closed.
  await listenerClosed;
  server.closeAllConnections();
  await drained;
  await app.close();
}

/**
 * Closes the connections that are quiet, once the bytes already waiting on them have been read.
 * Timers run before the event loop reads its sockets: after the loop stood still (a write waiting
 * out SQLite's lock), a timer that is due would find a connection "idle" whose next request had
 * already arrived, unread, and reset it. setImmediate runs after that reading.
 */
function closeIdleAfterReading(server: Server): void {
  setImmediate(() => {
    closeIdleConnections(server);
    closeConnectionsNeverUsed(server);
  });
}

/**
 * Node's `closeIdleConnections`, but for a connection that still has answers to send. Node's takes
 * a connection for idle once it is not reading a request and its answer has been ended, even
 * while that answer's bytes are still being written and more pipelined requests wait behind it
 * (requestsWaitingOn): a client reading a large answer slowly was cut off mid-answer, and its
 * other requests went unanswered. Node keeps its list of connections, and which of them are
 * reading a request, under a symbol of its own; without it, Node's own closeIdleConnections.
 */
function closeIdleConnections(server: Server): void {
  const idle = idleConnectionsOf(server);
  if (!idle) {
    server.closeIdleConnections();
    return;
  }
  for (const { socket } of idle) {
    const answer = answerInFlight(socket);
    if (answer && !answer.writableEnded) continue;
    if (socket.writableLength > 0 || requestsWaitingOn(socket) > 0) continue;
    socket.destroy();
  }
}

interface ConnectionsList {
  idle(): { socket: Socket }[];
}

function idleConnectionsOf(server: Server): { socket: Socket }[] | undefined {
  const key = Object.getOwnPropertySymbols(server).find(
    (symbol) => symbol.description === 'http.server.connections',
  );
  const list = key === undefined ? undefined : (server as unknown as Record<symbol, unknown>)[key];
  if (typeof (list as Partial<ConnectionsList> | undefined)?.idle !== 'function') return undefined;
  return (list as ConnectionsList).idle();
}

/**
 * Node's closeIdleConnections takes a connection that has not yet sent a byte for one waiting on
 * its first request, and leaves it open, so one a client opened ahead of need (a browser, a pool,
 * a load balancer) would hold every shutdown to SHUTDOWN_TIMEOUT_MS.
 */
function closeConnectionsNeverUsed(server: Server): void {
  for (const socket of openConnectionsOf(server)) {
    if (socket.bytesRead === 0) socket.destroy();
  }
}

const closingServers = new WeakSet<Server>();

/** True once closeGracefully has stopped accepting: answers then close their connection. */
export function isClosing(server: Server): boolean {
  return closingServers.has(server);
}

interface Stopping {
  /** Resolves once the listening socket is closed: no connection is taken in after it. */
  listenerClosed: Promise<void>;
  /** Resolves once the last open connection has closed. */
  drained: Promise<void>;
}

function stopAccepting(server: Server, takeInLimitMs: number): Stopping {
  closingServers.add(server);
  if (!server.listening) return { listenerClosed: Promise.resolve(), drained: Promise.resolve() };
  const listenerClosed = takeInWaitingConnections(server, takeInLimitMs);
  const drained = listenerClosed.then(
    () =>
      new Promise<void>((resolve) => {
        // net.Server's close: stop listening, and call back when the last connection has closed.
        NetServer.prototype.close.call(server, () => resolve());
      }),
  );
  return { listenerClosed, drained };
}

/**
 * Resolves once no connection waits to be taken in, or after `limitMs`. Node takes in one new
 * connection per turn of the event loop, so under load the kernel holds many whose handshake is
 * done and whose request has been sent (a client or proxy opening a connection per request);
 * closing the listening socket resets each of them, and its client cannot tell whether its PATCH
 * was made. A turn that took in none found the queue empty. Those that arrive meanwhile are
 * answered too (with `Connection: close`); only a steady stream of new ones meets the limit.
 */
function takeInWaitingConnections(server: Server, limitMs: number): Promise<void> {
  return new Promise((resolve) => {
    let takenIn = 0;
    const count = () => {
      takenIn += 1;
    };
    server.on('connection', count);
    const giveUpAt = performance.now() + limitMs;
    // setImmediate runs once per turn, after its poll for I/O: from one run to the next, the
    // listening socket was polled once, and took in one connection if any was waiting.
    let before = -1;
    const check = () => {
      if (takenIn === before || performance.now() >= giveUpAt) {
        server.off('connection', count);
        resolve();
        return;
      }
      before = takenIn;
      setImmediate(check);
    };
    setImmediate(check);
  });
}
