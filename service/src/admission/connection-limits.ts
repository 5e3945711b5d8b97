import type { Socket } from 'socket.io';
import { CONNECT_ERRORS } from '../../../contract/events';
import { type Middleware, Refusal } from './connect-refusal';

/**
 * Socket.IO middleware: refuses a socket with server_full once the node holds `maxConnections`
 * authenticated connections. Sessions still waiting for their CONNECT have their own budget (pre-auth.ts)
 * and never count here, so a flood of them cannot make a node full for token holders. A connection that already
 * has a socket may open more (other namespaces): it is counted once.
 */
export function limitConnections(connections: () => number, maxConnections: number): Middleware {
  return (socket, next) => {
    if (!hasSocket(socket) && connections() >= maxConnections) {
      return next(new Refusal(CONNECT_ERRORS.serverFull, 'MAX_CONNECTIONS reached'));
    }
    next();
  };
}

/** Whether the socket's connection already holds a connected socket (in any namespace). */
const hasSocket = (socket: Socket) => (socket as unknown as { client: { sockets: Map<string, unknown> } }).client.sockets.size > 0;
