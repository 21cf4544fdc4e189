import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { openConnectionsOf } from './open-connections.js';

/**
 * Cuts a connection whose client has stopped reading its answers: bytes wait to be sent on it,
 * and none has gone for `stallMs`. Node's timeouts cover a request that is slow to arrive and a
 * connection idle between requests, not an answer that is never read, so such a connection (and
 * its file descriptor, and the answers queued on it) was held for as long as the client liked.
 */
export function cutStalledReaders(server: Server, stallMs: number): void {
  const lastProgress = new WeakMap<Socket, { sent: number; at: number }>();
  const timer = setInterval(
    () => {
      const now = performance.now();
      for (const socket of openConnectionsOf(server)) {
        if (socket.writableLength === 0) {
          lastProgress.delete(socket);
          continue;
        }
        // What has gone to the kernel: bytesWritten also counts what still waits in Node's buffer.
        const sent = socket.bytesWritten - socket.writableLength;
        const last = lastProgress.get(socket);
        if (!last || last.sent !== sent) {
          lastProgress.set(socket, { sent, at: now });
          continue;
        }
        if (now - last.at >= stallMs) socket.destroy();
      }
    },
    Math.max(10, stallMs / 4),
  );
  timer.unref();
  server.once('close', () => clearInterval(timer));
}
