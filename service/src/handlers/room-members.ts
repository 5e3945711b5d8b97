import { EVENTS, failure, roomPayload } from '../../../contract/events';
import { defineHandler } from './handler';
import { refuseReservedRoom } from './reserved-rooms';

export const roomMembers = defineHandler({
  event: EVENTS.roomMembers,
  schema: roomPayload,
  async handle({ room }, { countMembers, logger }) {
    const reserved = refuseReservedRoom(room);
    if (reserved) return reserved;
    try {
      return { ok: true, room, count: await countMembers(room) };
    } catch (err) {
      logger.warn({ err, room }, 'member count failed');
      return failure('unavailable', 'member count is unavailable right now, try again');
    }
  },
});
