import { EVENTS, failure, roomPayload } from '../../../contract/events';
import { mayAccessRoom } from '../admission/auth';
import { defineHandler } from './handler';

export const roomJoin = defineHandler({
  event: EVENTS.roomJoin,
  schema: roomPayload,
  async handle({ room }, { socket, identity, config, subscriptionsSettled }) {
    if (!mayAccessRoom(identity, room)) return failure('forbidden', `not allowed to join ${room}`);
    // socket.rooms always holds the socket's own id as well.
    if (!socket.rooms.has(room) && socket.rooms.size - 1 >= config.limits.maxRoomsPerSocket) {
      return failure('too_many_rooms', `a socket may be in at most ${config.limits.maxRoomsPerSocket} rooms`);
    }
    await socket.join(room);
    // Answer once messages sent to the room from other nodes can reach this socket.
    await subscriptionsSettled();
    return { ok: true, room };
  },
});
