import type { Lifecycle } from '../lifecycle';
import type { RedisState } from '../redis/adapter-redis';

/** What the health endpoints read, each call anew. */
export interface HealthSources {
  readonly nodeId: string;
  readonly startedAt: number;
  lifecycle(): Lifecycle;
  redisState(): RedisState;
  connections(): number;
}

/** Liveness: answering at all is the point, so it is always 200 (docs/architecture.md). */
export function liveness(s: HealthSources) {
  return {
    status: 'ok',
    node: s.nodeId,
    lifecycle: s.lifecycle(),
    redis: s.redisState(),
    connections: s.connections(),
    uptimeS: Math.round((Date.now() - s.startedAt) / 1000),
  };
}

/**
 * Readiness, the load balancer's health check: 200 only while the node accepts sockets. Ready
 * while Redis reconnects: local delivery still works, and restarting tasks would not bring Redis back.
 */
export function readiness(s: HealthSources): { statusCode: number; body: object } {
  const lifecycle = s.lifecycle();
  return { statusCode: lifecycle === 'ready' ? 200 : 503, body: { status: lifecycle, node: s.nodeId, redis: s.redisState() } };
}
