import type { Server } from 'socket.io';
import { CONNECT_ERRORS } from '../../../contract/events';
import { type Middleware, Refusal } from './connect-refusal';

/**
 * Socket.IO middleware: refuses a socket with server_full once the node holds `maxConnections`
 * authenticated sockets. Sessions still waiting for their CONNECT have their own budget (pre-auth.ts)
 * and never count here, so a flood of them cannot make a node full for token holders.
 */
export function limitConnections(io: Server, maxConnections: number): Middleware {
  return (_socket, next) => {
    if (io.of('/').sockets.size >= maxConnections) return next(new Refusal(CONNECT_ERRORS.serverFull, 'MAX_CONNECTIONS reached'));
    next();
  };
}
