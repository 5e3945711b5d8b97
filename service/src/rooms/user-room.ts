import type { Socket } from 'socket.io';
import { userRoom } from '../../../contract/api';
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
