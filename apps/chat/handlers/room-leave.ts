import { EVENTS, roomPayload } from '../protocol';
import { defineHandler } from './handler';
import { refuseReservedRoom } from './reserved-rooms';

// Leaving a room one is not in succeeds: the outcome the client asked for holds.
export const roomLeave = defineHandler({
  event: EVENTS.roomLeave,
  schema: roomPayload,
  async handle({ room }, { socket }) {
    const reserved = refuseReservedRoom(room);
    if (reserved) return reserved;
    await socket.leave(room);
    return { ok: true, room };
  },
});
