import { EVENTS, failure, roomPayload } from '../protocol';
import { defineHandler } from './handler';
import { refuseReservedRoom } from './reserved-rooms';

export const roomMembers = defineHandler({
  event: EVENTS.roomMembers,
  schema: roomPayload,
  async handle({ room }, { socket, logger, platform }) {
    const reserved = refuseReservedRoom(room);
    if (reserved) return reserved;
    // Who is where is as private as the room: the same claim as room:join decides.
    if (!platform.auth.mayJoin(socket, room)) return failure('forbidden', `not allowed to ask about ${room}`);
    try {
      return { ok: true, room, count: await platform.rooms.count(room) };
    } catch (err) {
      logger.warn({ err, room }, 'member count failed');
      return failure('unavailable', 'member count is unavailable right now, try again');
    }
  },
});
