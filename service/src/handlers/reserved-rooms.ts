import type { Socket } from 'socket.io';
import { isReservedRoom } from '../../../contract/api';
import { type Failure, failure } from '../../../contract/events';

/**
 * `user:` and `sys:` rooms are the server's (docs/protocol.md), whatever a token's rooms claim says:
 * joining one would read another user's publishes, leaving one's own user room would hide the socket
 * from publishes to its user, counting one would tell anyone whether that user is online, and a user
 * room carries only what the backend publishes. The one check room:join, room:leave, room:members,
 * room:presence and chat:message all make; undefined when the room is the client's to use.
 */
export function refuseReservedRoom(room: string | null | undefined): Failure | undefined {
  if (room === null || room === undefined || !isReservedRoom(room)) return undefined;
  return failure('forbidden', `${room} is reserved for the server: user: and sys: rooms are not the client's to use`);
}

/** Rooms the client joined itself: socket.rooms also holds the socket's own id and its user room, which do not count. */
export function clientRoomCount(socket: Socket): number {
  let n = 0;
  for (const room of socket.rooms) if (room !== socket.id && !isReservedRoom(room)) n++;
  return n;
}
