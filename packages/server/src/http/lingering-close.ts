import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';

/** How long a closing connection may go on bringing in the body its answer refused (nginx: 5 s). */
export const LINGER_MS = 5000;

/**
 * An answer that closes its connection before the request's body has arrived (a 413 for a
 * Content-Length past the limit, which Fastify sends unread, with `Connection: close`) must not
 * close it at once: the kernel then answers the rest of the body with a reset, and a client or a
 * proxy still writing that body (nginx, which sends it whole before it reads an answer) fails its
 * write and never reads the answer: nginx answered its client 502 instead of the 413. So, as RFC
 * 9112 §9.6 says, our side closes first, and what the client still sends is read and dropped
 * (Node drops a body no one reads) until the request is whole, for up to LINGER_MS.
 */
export function lingerWhileBodyArrives(request: IncomingMessage): void {
  if (request.complete) return;
  const socket = request.socket as Socket & { destroySoon?: () => void };
  // Node closes a connection after its last answer with destroySoon: end, then destroy.
  socket.destroySoon = () => {
    socket.end();
    const close = () => socket.destroy();
    setTimeout(close, LINGER_MS).unref();
    if (request.complete) close();
    else request.once('end', close);
  };
}
