import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * The answer Node is sending on this connection now, if any: the one whose turn it is among the
 * connection's pipelined requests. Node keeps it as `_httpMessage`, which its types do not declare.
 */
export function answerInFlight(socket: Socket): ServerResponse | null | undefined {
  return (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
}
