import type { ExtendedError, Server, Socket } from 'socket.io';
import { CONNECT_ERRORS } from '../../../contract/events';

/**
 * Past MAX_CONNECTIONS the Socket.IO middleware refuses with a clear error (server_full); past
 * this hard limit the handshake is refused before any Socket.IO work is done at all.
 */
export function hardConnectionLimit(maxConnections: number): number {
  return maxConnections + Math.max(10, Math.ceil(maxConnections / 10));
}

/** Socket.IO middleware: refuses a socket with server_full once the node holds `maxConnections`. */
export function limitConnections(io: Server, maxConnections: number): (socket: Socket, next: (err?: ExtendedError) => void) => void {
  return (_socket, next) => {
    if (io.of('/').sockets.size >= maxConnections) return next(new Error(CONNECT_ERRORS.serverFull));
    next();
  };
}
