import { isReservedRoom } from '../../../contract/api';
import { EVENTS, fail, roomPayload } from '../../../contract/events';
import type { ApiConfig } from '../api/config';
import { TokenBucket } from '../limits';
import type { Presence } from '../presence';
import type { HandlerContext } from './context';
import { defineHandler } from './handler';

/**
 * `room:presence { room }`: who is in a room this socket is in, across the cluster, in the
 * HTTP answer's shape. The claim rules are room:join's. A query asks every node, so it has its
 * own bucket, well below the per-socket event rate.
 */
export function registerPresenceHandler(ctx: HandlerContext, presence: Presence, limits: ApiConfig['presence']['perSocket']): void {
  const { socket, logger, identity } = ctx;
  const bucket = new TokenBucket(limits.ratePerS, limits.burst);
  defineHandler(socket, logger, EVENTS.roomPresence, roomPayload, async ({ room }) => {
    if (isReservedRoom(room) || (identity.mayJoin && !identity.mayJoin(room))) return fail('forbidden', `not allowed to see ${room}`);
    if (!socket.rooms.has(room)) return fail('not_in_room', `join ${room} before asking who is in it`);
    if (!bucket.take()) return fail('rate_limited', 'room:presence asked too often, slow down');
    try {
      return { ok: true, ...(await presence.room(room)) };
    } catch (err) {
      logger.warn({ err, room }, 'presence query failed');
      return fail('unavailable', 'presence is unavailable right now, try again');
    }
  });
}
