import type { Config } from '../config';

export type RedisState = 'ready' | 'reconnecting' | 'disabled';

export type RedisConfig = NonNullable<Config['redis']>;

/** The Redis clients one adapter mode needs, with their health and their close. */
export interface AdapterRedis {
  /** Publishing client (a node-redis client or cluster client), as the adapter takes it. */
  readonly pub: object;
  /** Subscribing client; node-redis re-subscribes it after every reconnect. */
  readonly sub: object;
  /** Ready only when every client is: a dead sub client means no cross-node delivery. */
  state(): RedisState;
  /** Resolves once pub and sub are connected; retries until then. */
  connect(): Promise<void>;
  /** Closes every client, forcefully after `timeoutMs`. */
  close(timeoutMs: number): Promise<void>;
  /**
   * Resolves once the subscriptions asked for so far are in place on Redis. The sharded
   * adapter subscribes a room's channel on join without waiting; a join answered before that
   * would miss messages sent right after it. @default - nothing to wait for
   */
  subscriptionsSettled?(): Promise<void>;
}
