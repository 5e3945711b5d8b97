import type { Lifecycle } from '../lifecycle';
import type { RedisState } from '../redis/adapter-redis';

/** What the health endpoints read, each call anew. */
export interface HealthSources {
  readonly nodeId: string;
  readonly startedAt: number;
  lifecycle(): Lifecycle;
  redisState(): RedisState;
  /** Authenticated sockets. */
  connections(): number;
  /** Sessions that have not authenticated yet. */
  preAuthSessions(): number;
  /** Bytes held of binary packets still waiting for attachments. */
  partialPacketBytes(): number;
}

/** The process's memory, in bytes: the resident set, the V8 heap in use, and what lives outside it (Buffers, attachments). */
function memory() {
  const m = process.memoryUsage();
  return { rssBytes: m.rss, heapUsedBytes: m.heapUsed, externalBytes: m.external };
}

/**
 * Liveness: answering at all is the point, so it is always 200 (docs/architecture.md). The
 * internet gets the status and the node id (which every session shows anyway); counts, memory,
 * uptime and Redis state only a trusted caller (trusted-request.ts).
 */
export function liveness(s: HealthSources, detailed: boolean) {
  if (!detailed) return { status: 'ok', node: s.nodeId };
  return {
    status: 'ok',
    node: s.nodeId,
    lifecycle: s.lifecycle(),
    redis: s.redisState(),
    connections: s.connections(),
    preAuthSessions: s.preAuthSessions(),
    partialPacketBytes: s.partialPacketBytes(),
    memory: memory(),
    uptimeS: Math.round((Date.now() - s.startedAt) / 1000),
  };
}

/**
 * Readiness, the load balancer's health check: 200 only while the node accepts sockets. Ready
 * while Redis reconnects: local delivery still works, and restarting tasks would not bring Redis back.
 * The load balancer reads the status code; the Redis state goes to trusted callers only.
 */
export function readiness(s: HealthSources, detailed: boolean): { statusCode: number; body: object } {
  const lifecycle = s.lifecycle();
  const body = detailed ? { status: lifecycle, node: s.nodeId, redis: s.redisState() } : { status: lifecycle, node: s.nodeId };
  return { statusCode: lifecycle === 'ready' ? 200 : 503, body };
}
