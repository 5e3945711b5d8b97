import type { Identity, Platform } from '../../contract/app';
import type { RoomRules } from './admission/auth';
import type { Config } from './config';
import type { Logger } from './logger';
import type { Presence } from './rooms/presence';

export interface PlatformParts {
  readonly config: Config;
  readonly nodeId: string;
  readonly logger: Logger;
  readonly appMetrics: Platform['metrics'];
  readonly rules: RoomRules;
  readonly countMembers: (room: string) => Promise<number>;
  readonly presence: Presence;
  readonly subscriptionsSettled: () => Promise<void>;
}

/**
 * The Redis URL an app's own client takes: the adapter's URL with its AUTH credentials in it (ElastiCache's AUTH token,
 * or the local cluster's password), so that `createClient({ url })` reaches the same Redis the adapter uses.
 */
export function appRedisUrl(redis: Config['redis']): string | undefined {
  if (!redis) return undefined;
  const url = new URL(redis.url);
  if (redis.password !== undefined) url.password = encodeURIComponent(redis.password);
  if (redis.username !== undefined) url.username = encodeURIComponent(redis.username);
  return url.toString();
}

/** What the app gets besides `io` (contract/app.ts): built from the node's own parts, nothing of the chat's. */
export function createPlatform(parts: PlatformParts): Platform {
  const identity = (socket: { data: { identity?: Identity } }): Identity => socket.data.identity ?? { user: '' };
  return {
    nodeId: parts.nodeId,
    logger: parts.logger.child({ component: 'app' }),
    redisUrl: appRedisUrl(parts.config.redis),
    metrics: parts.appMetrics,
    auth: {
      mayJoin: (socket, room) => parts.rules.mayJoin(identity(socket), room),
      mayBroadcast: (socket) => parts.rules.mayBroadcast(identity(socket)),
    },
    rooms: {
      count: parts.countMembers,
      presence: (room) => parts.presence.room(room),
      settled: parts.subscriptionsSettled,
    },
  };
}
