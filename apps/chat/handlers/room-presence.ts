import type { Socket } from 'socket.io';
import { EVENTS, failure, roomPayload } from '../protocol';
import { Allowance } from './allowance';
import { defineHandler } from './handler';
import { refuseReservedRoom } from './reserved-rooms';

// A query asks every node, so each socket has its own bucket for it, well below the per-socket event rate.
// Keyed by the socket, so a bucket goes with its socket.
const allowances = new WeakMap<Socket, Allowance>();

/**
 * `room:presence { room }`: who is in a room this socket is in, across the cluster, in the HTTP
 * answer's shape (docs/api.md). The claim rules are room:join's.
 */
export const roomPresence = defineHandler({
  event: EVENTS.roomPresence,
  schema: roomPayload,
  async handle({ room }, { socket, config, platform, logger }) {
    const reserved = refuseReservedRoom(room);
    if (reserved) return reserved;
    if (!platform.auth.mayJoin(socket, room)) return failure('forbidden', `not allowed to see ${room}`);
    if (!socket.rooms.has(room)) return failure('not_in_room', `join ${room} before asking who is in it`);
    let allowance = allowances.get(socket);
    if (!allowance) allowances.set(socket, (allowance = new Allowance(config.presencePerSocket)));
    if (!allowance.use()) return failure('rate_limited', 'room:presence asked too often, slow down');
    try {
      return { ok: true, ...(await platform.rooms.presence(room)) };
    } catch (err) {
      logger.warn({ err, room }, 'presence query failed');
      return failure('unavailable', 'presence is unavailable right now, try again');
    }
  },
});
