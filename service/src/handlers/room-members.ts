import { EVENTS, failure, roomPayload } from '../../../contract/events';
import { mayAccessRoom } from '../admission/auth';
import { defineHandler } from './handler';
import { refuseReservedRoom } from './reserved-rooms';

export const roomMembers = defineHandler({
  event: EVENTS.roomMembers,
  schema: roomPayload,
  async handle({ room }, { countMembers, logger, identity }) {
    const reserved = refuseReservedRoom(room);
    if (reserved) return reserved;
    // Who is where is as private as the room: the same claim as room:join decides.
    if (!mayAccessRoom(identity, room)) return failure('forbidden', `not allowed to ask about ${room}`);
    try {
      return { ok: true, room, count: await countMembers(room) };
    } catch (err) {
      logger.warn({ err, room }, 'member count failed');
      return failure('unavailable', 'member count is unavailable right now, try again');
    }
  },
});
