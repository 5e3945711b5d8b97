import type { Server } from 'socket.io';
import { withTimeout } from '../deadline';
import type { RedisConfig, RedisState } from '../redis/adapter-redis';

/** The server-side event every node answers with its own count of a room's sockets. */
const MEMBERS_COUNT = 'sys:members:count';

/**
 * Answers the other nodes' member counts, and returns the function that counts a room's sockets
 * across the cluster: this node's, plus every other node's answer through the adapter. Without
 * Redis (`redis` undefined) it counts this node alone.
 */
export function countMembersAcrossNodes(io: Server, redisState: () => RedisState, redis?: RedisConfig): (room: string) => Promise<number> {
  const localMembers = (room: string) => io.of('/').adapter.rooms.get(room)?.size ?? 0;
  io.on(MEMBERS_COUNT, (room: unknown, reply: unknown) => {
    if (typeof room === 'string' && typeof reply === 'function') reply(localMembers(room));
  });
  return async (room) => {
    if (!redis) return localMembers(room);
    if (redisState() !== 'ready') throw new Error('redis is reconnecting');
    // The adapter's own timeout starts only after Redis has counted the nodes, so a stalled Redis needs this one.
    const remote = await withTimeout(io.serverSideEmitWithAck(MEMBERS_COUNT, room) as Promise<unknown[]>, redis.requestsTimeoutMs);
    return remote.reduce<number>((sum, n) => sum + (typeof n === 'number' ? n : 0), localMembers(room));
  };
}
