import { SYS_EVENTS } from '../../../contract/app';
import type { CloseReason } from '../../../contract/events';
import type { ExtendedError, Socket } from 'socket.io';

export type Middleware = (socket: Socket, next: (err?: ExtendedError) => void) => void;

/**
 * A refused CONNECT. Its message (a CONNECT_ERRORS code) is what the client's connect_error shows;
 * `reason` is for the log only.
 */
export class Refusal extends Error {
  constructor(
    code: string,
    readonly reason: string,
  ) {
    super(code);
  }
}

/**
 * Wraps the CONNECT middleware so that a refusal ends the connection once its connect_error is on
 * its way: a connection gets one refusal, so refusing costs the attacker a new handshake each time
 * (the client's own reconnection handles honest retries). `refused` logs and counts it.
 */
export function closingOnRefusal(middleware: Middleware, refused: (socket: Socket, err: Error) => void): Middleware {
  return (socket, next) =>
    middleware(socket, (err) => {
      next(err);
      if (!err) return;
      refused(socket, err);
      // Socket.IO writes the connect_error on the next tick; this runs after it.
      process.nextTick(() => socket.conn.close());
    });
}

/**
 * Closes a socket's connection for breaking a rule, telling the client why first: `sys:disconnect { reason }` leaves
 * before the close (Engine.IO writes what is buffered before it closes), so a client can tell a limit from a crash.
 */
export function closeWithReason(socket: Socket, reason: CloseReason): void {
  socket.emit(SYS_EVENTS.disconnect, { reason });
  socket.disconnect(true);
}
