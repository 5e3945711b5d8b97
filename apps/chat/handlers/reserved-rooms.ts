import type { Socket } from 'socket.io';
import { isReserved, SYS_PREFIX } from '../../../contract/app';
import { type Failure, failure } from '../protocol';

/**
 * `sys:` rooms are the platform's (docs/apps.md), whatever a token's rooms claim says: joining one (a user room,
 * `sys:user:<id>`) would read another user's publishes, leaving one's own would hide the socket from publishes to its
 * user, and counting one would tell anyone whether that user is online. The one check room:join, room:leave,
 * room:members, room:presence and chat:message all make; undefined when the room is the client's to use.
 */
export function refuseReservedRoom(room: string | null | undefined): Failure | undefined {
  if (room === null || room === undefined || !isReserved(room)) return undefined;
  return failure('forbidden', `${room} is reserved for the platform: ${SYS_PREFIX} rooms are not the client's to use`);
}

/** Rooms the client joined itself: socket.rooms also holds the socket's own id and its user room, which do not count. */
export function clientRoomCount(socket: Socket): number {
  let n = 0;
  for (const room of socket.rooms) if (room !== socket.id && !isReserved(room)) n++;
  return n;
}
