import type { Socket } from 'socket.io';
import { type SessionInfo, SYS_EVENTS } from '../../../contract/app';
import { userRoom } from '../../../contract/app';
import type { Logger } from '../logger';

/**
 * Puts a socket in its user's room (`user:<sub>`, the guest id without auth), through which the
 * backend API reaches every socket of that user on every node. Resolves once publishes to the room
 * from other nodes can arrive (the sharded mode subscribes after the join), so that `session` can
 * promise it; a join that fails is logged, and the socket keeps serving.
 */
export async function joinUserRoom(socket: Socket, user: string, subscriptionsSettled: () => Promise<void>, logger: Logger): Promise<void> {
  try {
    await socket.join(userRoom(user));
    await subscriptionsSettled();
  } catch (err) {
    logger.warn({ err, sid: socket.id, user }, 'joining the user room failed: publishes to this user miss this socket');
  }
}

/** Puts a socket of `/` in its user's room, then tells the client its session (`sys:session`): publishes to its user reach it. */
export function welcome(socket: Socket, user: string, opts: { nodeId: string; settled: () => Promise<void>; logger: Logger }): void {
  const session: SessionInfo = { sid: socket.id, node: opts.nodeId, user, recovered: socket.recovered };
  void joinUserRoom(socket, user, opts.settled, opts.logger).then(() => socket.emit(SYS_EVENTS.session, session));
}
