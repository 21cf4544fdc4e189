import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

// What Node keeps about a connection that its types do not declare.

/**
 * The answer Node is sending on this connection now, if any: the one whose turn it is among the
 * connection's pipelined requests. Node keeps it as `_httpMessage`, which its types do not declare.
 */
export function answerInFlight(socket: Socket): ServerResponse | null | undefined {
  return (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
}

/** The request whose head Node's parser has read and whose body it is still reading, if any. */
export function requestStillArriving(socket: Socket): IncomingMessage | undefined {
  const { parser } = socket as Socket & { parser?: { incoming?: IncomingMessage | null } | null };
  const incoming = parser?.incoming;
  return incoming && !incoming.complete ? incoming : undefined;
}
