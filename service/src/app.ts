import type { Server as HttpServer } from 'node:http';
import { Server, type Socket } from 'socket.io';
import type { Identity } from '../../contract/app';
import { selectAdapter } from './adapters/select-adapter';
import { createAdmission } from './admission/admission';
import { roomRules } from './admission/auth';
import { type BinaryPolicy, binaryPolicy } from './admission/binary-policy';
import { closeWithReason } from './admission/connect-refusal';
import { createEventLimits } from './admission/event-limits';
import { LagMonitor } from './admission/overload';
import { createApi } from './api';
import { type AppModule, startAppModule } from './app-module';
import type { Config } from './config';
import { startDeliveryBudgets } from './delivery/delivery-budget';
import { installAdapter } from './delivery/delivery-count';
import { sweepSlowConsumers } from './delivery/slow-consumers';
import { closeSocketServer } from './drain/close-socket-server';
import { createDrain } from './drain/drain';
import { serveClientAhead } from './http/client-file';
import { httpRoutes } from './http/routes';
import { answerStrayRequests } from './http/stray-requests';
import type { Lifecycle } from './lifecycle';
import type { Logger } from './logger';
import { createAppMetrics } from './metrics/app-metrics';
import { createMetrics, type Metrics } from './metrics/publisher';
import { createPlatform } from './platform';
import type { RedisState } from './redis/adapter-redis';
import { countMembersAcrossNodes } from './rooms/member-count';
import { welcome } from './rooms/user-room';
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
  /** The app the node runs (app-module.ts loads it); none: a node with the platform alone. */
  readonly app?: AppModule;
  /** The binary packets the node takes, as main.ts resolved them at start; default: from the app's settings. */
  readonly binary?: BinaryPolicy;
  /** Replaces the CloudWatch publisher (tests). */
  readonly metrics?: Metrics;
}

/** The service's composition root: wires the modules in the order a request meets them, and closes them in a fixed order. */
export function createApp(httpServer: HttpServer, config: Config, deps: AppDeps): App {
  const { logger, nodeId } = deps;
  const { limits } = config;
  let lifecycle: Lifecycle = 'starting';
  // Clients are connections with an authenticated socket; sessions still waiting for their CONNECT have a budget of their own.
  const connections = () => admission.connections();
  const metrics = deps.metrics ?? createMetrics({ config: config.metrics, logger, connectedClients: connections });
  const mode = selectAdapter(config, logger, metrics);
  const redisState = (): RedisState => mode.redis?.state() ?? 'disabled';

  const binary = deps.binary ?? binaryPolicy(deps.app?.settings, config, deps.app?.file);
  const admission = createAdmission(config, { logger, metrics, binary, lifecycle: () => lifecycle });
  const io = new Server({ ...socketServerOptions(config), ...mode.serverOptions, allowRequest: admission.allowRequest });
  // What each user's events and each API key's publishes cost in deliveries on this node.
  const deliveries = startDeliveryBudgets(config);
  // Deliveries are counted on the in-memory adapters Socket.IO made, and on the mode's own once Redis answers (below).
  installAdapter(io, metrics, undefined, deliveries);
  const api = createApi({ io, config, logger, metrics, redis: mode.redis, deliveries, lifecycle: () => lifecycle });
  // The counts /healthz details (connections, pre-auth sessions, partial packets) are admission's.
  const health = { ...admission, nodeId, startedAt: Date.now(), lifecycle: () => lifecycle, redisState };
  httpServer.on('request', httpRoutes(health, api, { detailsToken: config.healthDetailsToken, app: deps.app?.http, logger }));
  answerStrayRequests(httpServer);
  io.attach(httpServer, { destroyUpgrade: false });
  serveClientAhead(httpServer);

  const lag = new LagMonitor(limits.shedLoadLagMs);
  lag.start();
  const { addressOf } = admission;
  const limitEvents = createEventLimits({ limits, logger, metrics, lag, deliveries, addressOf, close: closeWithReason });
  // Every authenticated socket, in any namespace, before the app's `connection` listeners see it.
  admission.install(io, (socket: Socket) => {
    // A recovered socket kept its data, so its identity is the one its token proved earlier.
    const { user } = socket.data.identity as Identity;
    limitEvents(socket, user);
    if (socket.nsp.name === '/') welcome(socket, user, { nodeId, settled: mode.subscriptionsSettled, logger });
  });
  const stopSlowConsumerSweep = sweepSlowConsumers(io, limits, logger, addressOf);
  const drain = createDrain(io, { spreadMs: config.drain.spreadMs, logger, onBegin: () => (lifecycle = 'draining') });
  const platform = createPlatform({
    config,
    nodeId,
    logger,
    appMetrics: createAppMetrics(metrics, logger),
    rules: roomRules(config.auth),
    countMembers: countMembersAcrossNodes(io, redisState, config.redis),
    presence: api.presence,
    subscriptionsSettled: mode.subscriptionsSettled,
  });

  const ready = (async () => {
    await mode.start((adapter) => installAdapter(io, metrics, adapter, deliveries));
    // The app sets up `io` on the cluster's adapter, before the node accepts a handshake (refused while starting).
    if (deps.app) await startAppModule(deps.app, io, platform);
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
      deliveries.stop();
      admission.close();
      await metrics.close();
      lifecycle = 'closed';
      logger.info('closed');
    })());

  return { io, metrics, ready, lifecycle: () => lifecycle, redisState, drain: drain.begin, close };
}
