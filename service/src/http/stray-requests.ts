import type { Server as HttpServer } from 'node:http';
import type { Duplex } from 'node:stream';

/** Socket.IO's path; Engine.IO takes upgrades whose URL starts with it (its attach() check). */
const SOCKET_IO_PATH = '/socket.io/';

function answer(socket: Duplex, status: string, allow?: string): void {
  const body = JSON.stringify({ error: status.replace(/^\d+ /, '').toLowerCase() });
  socket.on('error', () => undefined);
  socket.end(
    `HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Type: application/json\r\n` +
      `${allow ? `Allow: ${allow}\r\n` : ''}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/**
 * Answers what no route takes at once, with a 4xx, instead of leaving the connection to die: an
 * upgrade outside /socket.io/ (Engine.IO would close it after a second without a word, which a
 * load balancer reports as a 502, an ELB 5XX that pages) and the HTTP CONNECT method (Node drops
 * the connection when nothing listens for it). Engine.IO must be attached with `destroyUpgrade: false`.
 */
export function answerStrayRequests(httpServer: HttpServer): void {
  httpServer.on('upgrade', (req, socket: Duplex) => {
    if (req.url?.startsWith(SOCKET_IO_PATH)) return;
    answer(socket, '404 Not Found');
  });
  httpServer.on('connect', (_req, socket: Duplex) => answer(socket, '405 Method Not Allowed', 'GET, HEAD, POST'));
}
