import type { FastifyInstance } from 'fastify';

/**
 * A client may send its next requests on a connection without waiting for each answer
 * (pipelining, RFC 9112 §9.3.2). Node hands every request it reads to the app at once and only
 * queues the answers in order, so a GET sent behind a PATCH of the same site was served while the
 * PATCH was still being committed, and answered the value from before it. The RFC lets a server
 * work on pipelined requests in parallel only when all of them are safe: here a request whose
 * answer waits behind another's on its connection waits to be handled too, so each connection's
 * requests are served one after another, in the order they came.
 *
 * Nearly every request is first in line, and pays one property read for this.
 */
export function serveEachConnectionInOrder(app: FastifyInstance): void {
  app.addHook('onRequest', (_request, reply, done) => {
    // Node gives a response the connection's socket when the answers before it have gone.
    if (reply.raw.socket !== null) {
      done();
      return;
    }
    reply.raw.once('socket', () => done());
  });
}
