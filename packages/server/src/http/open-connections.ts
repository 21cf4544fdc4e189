import type { Server } from 'node:http';
import type { Socket } from 'node:net';

const openConnections = new WeakMap<Server, Set<Socket>>();

/**
 * Keeps the server's open connections, from its start, for what looks at each of them: the
 * shutdown (graceful-close.ts) and the cut of clients that stopped reading (stalled-readers.ts).
 */
export function trackConnections(server: Server): void {
  const open = new Set<Socket>();
  openConnections.set(server, open);
  server.on('connection', (socket: Socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  });
}

export function openConnectionsOf(server: Server): Iterable<Socket> {
  return openConnections.get(server) ?? [];
}
