import { EVENTS, fail, roomPayload } from '../protocol';
import type { HandlerContext } from './context';
import { defineHandler } from './handler';

export function registerRoomHandlers(ctx: HandlerContext): void {
  const { socket, logger } = ctx;

  defineHandler(socket, logger, EVENTS.roomJoin, roomPayload, async ({ room }) => {
    await socket.join(room);
    return { ok: true, room };
  });

  // Leaving a room one is not in succeeds: the outcome the client asked for holds.
  defineHandler(socket, logger, EVENTS.roomLeave, roomPayload, async ({ room }) => {
    await socket.leave(room);
    return { ok: true, room };
  });

  defineHandler(socket, logger, EVENTS.roomMembers, roomPayload, async ({ room }) => {
    try {
      return { ok: true, room, count: await ctx.countMembers(room) };
    } catch (err) {
      logger.warn({ err, room }, 'member count failed');
      return fail('unavailable', 'member count is unavailable right now, try again');
    }
  });
}
