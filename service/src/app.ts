import type { Server as HttpServer } from 'node:http';
import { Server, type Socket } from 'socket.io';
import { EVENTS, type SessionInfo } from '../../contract/events';
import { selectAdapter } from './adapters/select-adapter';
import { createAdmission } from './admission/admission';
import { createApi } from './api';
import type { Identity } from './admission/auth';
import { LagMonitor } from './admission/overload';
import { createRateLimits } from './admission/rate-limits';
import type { Config } from './config';
import { installAdapter } from './delivery/delivery-count';
import { sweepSlowConsumers } from './delivery/slow-consumers';
import { closeSocketServer } from './drain/close-socket-server';
import { createDrain } from './drain/drain';
import { createProtocolRouter } from './handlers/protocol';
import { httpRoutes } from './http/routes';
import { answerStrayRequests } from './http/stray-requests';
import type { Lifecycle } from './lifecycle';
import type { Logger } from './logger';
import { createMetrics, type Metrics } from './metrics/publisher';
import type { RedisState } from './redis/adapter-redis';
import { countMembersAcrossNodes } from './rooms/member-count';
import { joinUserRoom } from './rooms/user-room';
import { socketServerOptions } from './socket-options';

export type { Lifecycle };

export interface App {
  readonly io: Server;
  readonly metrics: Metrics;
  /** Resolves when the node accepts sockets (Redis connected and the adapter installed). */
  readonly ready: Promise<void>;
  lifecycle(): Lifecycle;
  redisState(): RedisState;
  /** Begins the drain when the node's target drains: refuses handshakes, spreads disconnects over DRAIN_SPREAD_MS. */
  drain(reason: string): Promise<void>;
  /** Drains (within a few seconds, if not begun) and closes everything; idempotent. */
  close(reason?: string): Promise<void>;
}

export interface AppDeps {
  readonly logger: Logger;
  readonly nodeId: string;
  /** Replaces the CloudWatch publisher (tests). */
  readonly metrics?: Metrics;
}

/** The service's composition root: wires the modules in the order a request meets them, and closes them in a fixed order. */
export function createApp(httpServer: HttpServer, config: Config, deps: AppDeps): App {
  const { logger, nodeId } = deps;
  const { limits } = config;
  let lifecycle: Lifecycle = 'starting';
  // Clients are authenticated sockets; sessions still waiting for their CONNECT have a budget of their own.
  const connections = () => io.of('/').sockets.size;
  const metrics = deps.metrics ?? createMetrics({ config: config.metrics, logger, connectedClients: connections });
  const mode = selectAdapter(config, logger, metrics);
  const redisState = (): RedisState => mode.redis?.state() ?? 'disabled';

  const admission = createAdmission(config, { logger, metrics, lifecycle: () => lifecycle });
  const io = new Server({ ...socketServerOptions(config), ...mode.serverOptions, allowRequest: admission.allowRequest });
  // Deliveries are counted on the in-memory adapter Socket.IO made, and on the mode's own once Redis answers (below).
  installAdapter(io, metrics);
  const api = createApi({ io, config, logger, metrics, redis: mode.redis, lifecycle: () => lifecycle });
  const health = {
    nodeId,
    startedAt: Date.now(),
    lifecycle: () => lifecycle,
    redisState,
    connections,
    preAuthSessions: admission.preAuthSessions,
  };
  httpServer.on('request', httpRoutes(health, api, { detailsToken: config.healthDetailsToken }));
  answerStrayRequests(httpServer);
  io.attach(httpServer, { destroyUpgrade: false });
  admission.install(io);

  const countMembers = countMembersAcrossNodes(io, redisState, config.redis);
  const lag = new LagMonitor(limits.shedLoadLagMs);
  lag.start();
  const limitRate = createRateLimits(limits, logger, admission.addressOf);
  const router = createProtocolRouter();
  const { subscriptionsSettled } = mode;
  const { presence } = api;
  const perNode = { io, logger, config, nodeId, metrics, countMembers, presence, subscriptionsSettled, overloaded: () => lag.overloaded() };
  io.on('connection', (socket: Socket) => {
    // A recovered socket kept its data, so its identity is the one its token proved earlier.
    const identity = socket.data.identity as Identity;
    limitRate(socket, identity.user);
    router.attach({ ...perNode, socket, identity });
    const session: SessionInfo = { sid: socket.id, node: nodeId, user: identity.user, recovered: socket.recovered };
    // `session` promises that publishes to the user can reach this socket.
    void joinUserRoom(socket, identity.user, subscriptionsSettled, logger).then(() => socket.emit(EVENTS.session, session));
  });
  const stopSlowConsumerSweep = sweepSlowConsumers(io, limits, logger, admission.addressOf);
  const drain = createDrain(io, { spreadMs: config.drain.spreadMs, logger, onBegin: () => (lifecycle = 'draining') });

  const ready = (async () => {
    await mode.start((adapter) => installAdapter(io, metrics, adapter));
    metrics.start();
    if (lifecycle === 'starting') lifecycle = 'ready';
  })();
  // A failed start surfaces through `ready`; this keeps it from being an unhandled rejection too.
  ready.catch(() => undefined);

  let closing: Promise<void> | undefined;
  const close = (reason = 'close') =>
    (closing ??= (async () => {
      // The fixed order: the disconnects spread (or the rest of a spread begun, hurried); io.close() (the rest of the sockets,
      // each namespace's adapter, the HTTP server); the Redis clients; the timers; the API's queries in flight; the last metrics flush.
      const deadline = Date.now() + config.drainTimeoutMs;
      await drain.finishWithin(reason, Math.min(5_000, config.drainTimeoutMs / 4));
      await closeSocketServer(io, httpServer, deadline - Date.now() - 1_000);
      await mode.redis?.close(Math.max(100, Math.min(2_000, deadline - Date.now())));
      stopSlowConsumerSweep();
      api.close();
      lag.stop();
      admission.close();
      await metrics.close();
      lifecycle = 'closed';
      logger.info('closed');
    })());

  return { io, metrics, ready, lifecycle: () => lifecycle, redisState, drain: drain.begin, close };
}
