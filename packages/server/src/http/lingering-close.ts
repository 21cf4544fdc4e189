import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import { requestStillArriving } from './connection-state.js';
import { serveNoFurtherRequests } from './pipelining.js';

/** How long a closing connection may go on bringing in the body its answer came before (nginx: 5 s). */
export const LINGER_MS = 5000;

/**
 * An answer that closes its connection before the request's body has arrived must not close it
 * at once: the kernel then answers the rest of the body with a reset, and a client or a proxy
 * still writing that body (nginx, which sends it whole before it reads an answer) fails its write
 * and never reads the answer: nginx answered its client 502 instead of a 413. It happens to a body
 * over the limit (Fastify refuses it unread, with `Connection: close`), and to any answer given
 * before the body on a connection the client asked to close (`Connection: close`, HTTP/1.0: what
 * nginx sends upstream by default), a 401 to a PATCH, say.
 *
 * So, as RFC 9112 §9.6 says, our side closes first, what the client still sends is read and
 * dropped (Node drops a body no one reads once its answer has gone) until the request is whole,
 * for up to LINGER_MS, and no request behind it is served. Node closes a connection after its
 * last answer with `destroySoon` (end, then destroy): each connection's stands in front of it.
 */
export function lingerBeforeClosing(server: Server): void {
  server.on('connection', (socket: Socket) => {
    const destroySoon = socket.destroySoon;
    socket.destroySoon = () => {
      const arriving = requestStillArriving(socket);
      if (arriving) linger(socket, arriving);
      else destroySoon.call(socket);
    };
  });
}

function linger(socket: Socket, request: IncomingMessage): void {
  socket.end();
  serveNoFurtherRequests(socket);
  const close = () => socket.destroy();
  const timer = setTimeout(close, LINGER_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  request.once('end', close);
}
