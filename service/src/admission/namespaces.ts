import type { Namespace, Server, Socket } from 'socket.io';
import type { Middleware } from './connect-refusal';

/**
 * Puts the platform's CONNECT middlewares and its `connection` listener ahead of the app's, in every namespace: `/`,
 * the app's own (io.of('/admin')), and each child of a dynamic one (io.of(/^\/room-\w+$/)), whose middlewares and
 * listeners Socket.IO copies from its parent before it announces it (`new_namespace`). So no app code sees a socket
 * before it is admitted and authenticated, and the limits are on its events before the app's handlers are.
 */
export function aheadOfTheApp(io: Server, middlewares: readonly Middleware[], onSocket: (socket: Socket) => void): void {
  const first = (nsp: Namespace) => {
    (nsp as unknown as { _fns: Middleware[] })._fns.unshift(...middlewares);
    nsp.prependListener('connection', onSocket);
  };
  first(io.of('/'));
  io.on('new_namespace', first);
}
