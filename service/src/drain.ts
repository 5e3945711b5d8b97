import type { Server as HttpServer } from 'node:http';
import type { Server } from 'socket.io';
import { withTimeout } from './deadline';

/**
 * Closes the transports of all sockets in batches over `spreadMs`, so that clients reconnect
 * through the load balancer to other nodes without all arriving at once. Closing the
 * transport (not socket.disconnect()) is what makes Socket.IO clients reconnect by themselves.
 */
export async function spreadDisconnects(io: Server, spreadMs: number): Promise<void> {
  const sockets = [...io.of('/').sockets.values()];
  const batches = Math.max(1, Math.min(10, Math.ceil(sockets.length / 100)));
  const size = Math.ceil(sockets.length / batches);
  for (let i = 0; i < batches; i++) {
    for (const socket of sockets.slice(i * size, (i + 1) * size)) socket.conn.close();
    if (i < batches - 1) await new Promise((resolve) => setTimeout(resolve, spreadMs / batches));
  }
}

/**
 * io.close() closes the remaining sockets, then each namespace's adapter, then the HTTP server.
 * Connections still open after `timeoutMs` (keep-alive HTTP clients) are cut so that it can finish.
 */
export async function closeSocketServer(io: Server, httpServer: HttpServer, timeoutMs: number): Promise<void> {
  const ioClosed = io.close();
  await withTimeout(ioClosed, timeoutMs).catch(() => httpServer.closeAllConnections());
  await ioClosed;
}
