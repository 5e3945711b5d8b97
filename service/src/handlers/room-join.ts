import { EVENTS, failure, roomPayload } from '../../../contract/events';
import { mayAccessRoom } from '../admission/auth';
import { defineHandler } from './handler';
import { clientRoomCount, refuseReservedRoom } from './reserved-rooms';

export const roomJoin = defineHandler({
  event: EVENTS.roomJoin,
  schema: roomPayload,
  async handle({ room }, { socket, identity, config, subscriptionsSettled }) {
    const reserved = refuseReservedRoom(room);
    if (reserved) return reserved;
    if (!mayAccessRoom(identity, room)) return failure('forbidden', `not allowed to join ${room}`);
    if (!socket.rooms.has(room) && clientRoomCount(socket) >= config.limits.maxRoomsPerSocket) {
      return failure('too_many_rooms', `a socket may be in at most ${config.limits.maxRoomsPerSocket} rooms`);
    }
    await socket.join(room);
    // Answer once messages sent to the room from other nodes can reach this socket.
    await subscriptionsSettled();
    return { ok: true, room };
  },
});
