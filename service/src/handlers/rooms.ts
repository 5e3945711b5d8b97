import { isReservedRoom } from '../../../contract/api';
import { EVENTS, fail, roomPayload } from '../../../contract/events';
import type { HandlerContext } from './context';
import { defineHandler } from './handler';

export function registerRoomHandlers(ctx: HandlerContext): void {
  const { socket, logger } = ctx;

  const { identity, config } = ctx;

  defineHandler(socket, logger, EVENTS.roomJoin, roomPayload, async ({ room }) => {
    if (isReservedRoom(room) || (identity.mayJoin && !identity.mayJoin(room))) return fail('forbidden', `not allowed to join ${room}`);
    // socket.rooms always holds the socket's own id and its user room (api:) as well.
    if (!socket.rooms.has(room) && socket.rooms.size - 2 >= config.limits.maxRoomsPerSocket) {
      return fail('too_many_rooms', `a socket may be in at most ${config.limits.maxRoomsPerSocket} rooms`);
    }
    await socket.join(room);
    // Answer once messages sent to the room from other nodes can reach this socket.
    await ctx.subscriptionsSettled();
    return { ok: true, room };
  });

  // Leaving a room one is not in succeeds: the outcome the client asked for holds.
  defineHandler(socket, logger, EVENTS.roomLeave, roomPayload, async ({ room }) => {
    // api: leaving its user room would hide a socket from publishes to its user.
    if (isReservedRoom(room)) return fail('forbidden', `${room} is the server's`);
    await socket.leave(room);
    return { ok: true, room };
  });

  defineHandler(socket, logger, EVENTS.roomMembers, roomPayload, async ({ room }) => {
    // api: counting user:<sub> would tell anyone whether that user is online.
    if (isReservedRoom(room)) return fail('forbidden', `${room} is the server's`);
    try {
      return { ok: true, room, count: await ctx.countMembers(room) };
    } catch (err) {
      logger.warn({ err, room }, 'member count failed');
      return fail('unavailable', 'member count is unavailable right now, try again');
    }
  });
}
