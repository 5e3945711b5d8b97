import type { Socket } from 'socket.io';
import { EVENTS, failure, roomPayload } from '../../../contract/events';
import { mayAccessRoom } from '../admission/auth';
import { TokenBucket } from '../admission/token-bucket';
import { defineHandler } from './handler';
import { refuseReservedRoom } from './reserved-rooms';

// A query asks every node, so each socket has its own bucket for it, well below the per-socket event rate.
// Keyed by the socket, so a bucket goes with its socket.
const buckets = new WeakMap<Socket, TokenBucket>();

/**
 * `room:presence { room }`: who is in a room this socket is in, across the cluster, in the HTTP
 * answer's shape (docs/api.md). The claim rules are room:join's.
 */
export const roomPresence = defineHandler({
  event: EVENTS.roomPresence,
  schema: roomPayload,
  async handle({ room }, { socket, identity, config, presence, logger }) {
    const reserved = refuseReservedRoom(room);
    if (reserved) return reserved;
    if (!mayAccessRoom(identity, room)) return failure('forbidden', `not allowed to see ${room}`);
    if (!socket.rooms.has(room)) return failure('not_in_room', `join ${room} before asking who is in it`);
    let bucket = buckets.get(socket);
    if (!bucket) {
      const { ratePerS, burst } = config.api.presence.perSocket;
      buckets.set(socket, (bucket = new TokenBucket(ratePerS, burst)));
    }
    if (!bucket.take()) return failure('rate_limited', 'room:presence asked too often, slow down');
    try {
      return { ok: true, ...(await presence.room(room)) };
    } catch (err) {
      logger.warn({ err, room }, 'presence query failed');
      return failure('unavailable', 'presence is unavailable right now, try again');
    }
  },
});
