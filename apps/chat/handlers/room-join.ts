import { EVENTS, failure, roomPayload } from '../protocol';
import { defineHandler } from './handler';
import { clientRoomCount, refuseReservedRoom } from './reserved-rooms';

export const roomJoin = defineHandler({
  event: EVENTS.roomJoin,
  schema: roomPayload,
  async handle({ room }, { socket, config, platform }) {
    const reserved = refuseReservedRoom(room);
    if (reserved) return reserved;
    if (!platform.auth.mayJoin(socket, room)) return failure('forbidden', `not allowed to join ${room}`);
    if (!socket.rooms.has(room) && clientRoomCount(socket) >= config.maxRoomsPerSocket) {
      return failure('too_many_rooms', `a socket may be in at most ${config.maxRoomsPerSocket} rooms`);
    }
    await socket.join(room);
    // Answer once messages sent to the room from other nodes can reach this socket.
    await platform.rooms.settled();
    return { ok: true, room };
  },
});
