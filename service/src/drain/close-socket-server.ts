import type { Server as HttpServer } from 'node:http';
import type { Server } from 'socket.io';
import { withTimeout } from '../deadline';

/**
 * io.close() closes the remaining sockets, then each namespace's adapter, then the HTTP server.
 * Connections still open after `timeoutMs` (keep-alive HTTP clients) are cut so that it can finish.
 */
export async function closeSocketServer(io: Server, httpServer: HttpServer, timeoutMs: number): Promise<void> {
  const ioClosed = io.close();
  await withTimeout(ioClosed, timeoutMs).catch(() => httpServer.closeAllConnections());
  await ioClosed;
}
