import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import { createAdapter, createShardedAdapter } from '@socket.io/redis-adapter';
import { createAdapter as createStreamsAdapter } from '@socket.io/redis-streams-adapter';
import { type ExtendedError, Server, type Socket } from 'socket.io';
import { createApi } from './api'; // api:
import { userRoom } from '../../contract/api'; // api:
import { registerPresenceHandler } from './handlers/presence'; // api:
import { AuthError, createAuthenticator, type Identity } from './auth';
import type { Config } from './config';
import { withTimeout } from './deadline';
import { registerChatHandlers } from './handlers/chat';
import type { HandlerContext } from './handlers/context';
import { registerRoomHandlers } from './handlers/rooms';
import { SharedBuckets, TokenBucket } from './limits';
import type { Logger } from './logger';
import { createMetrics, type Metrics } from './metrics/publisher';
import { LagMonitor } from './overload';
import { CONNECT_ERRORS, EVENTS, fail, type SessionInfo } from '../../contract/events';
import { type AdapterRedis, createAdapterRedis, type RedisState } from './redis';
import { createClusterAdapterRedis } from './redis-cluster';
import { serveStatic } from './static';

export type Lifecycle = 'starting' | 'ready' | 'draining' | 'closed';

export interface App {
  readonly io: Server;
  readonly metrics: Metrics;
  /** Resolves when the node accepts sockets (Redis connected and the adapter installed). */
  readonly ready: Promise<void>;
  lifecycle(): Lifecycle;
  redisState(): RedisState;
  /** Drains and closes everything; idempotent. */
  close(): Promise<void>;
}

export interface AppDeps {
  readonly logger: Logger;
  readonly nodeId: string;
  /** Replaces the CloudWatch publisher (tests). */
  readonly metrics?: Metrics;
}

// api: room:presence added
const KNOWN_EVENTS = new Set<string>([EVENTS.roomJoin, EVENTS.roomLeave, EVENTS.roomMembers, EVENTS.chatMessage, EVENTS.roomPresence]);
const MEMBERS_COUNT = 'members:count';

export function createApp(httpServer: HttpServer, config: Config, deps: AppDeps): App {
  const { logger, nodeId } = deps;
  const { limits } = config;
  const startedAt = Date.now();
  let lifecycle: Lifecycle = 'starting';
  // Past the soft limit the Socket.IO middleware refuses with a clear error; past this one the
  // handshake is refused before any Socket.IO work is done at all.
  const hardConnectionLimit = limits.maxConnections + Math.max(10, Math.ceil(limits.maxConnections / 10));

  const connections = () => io.engine?.clientsCount ?? 0;
  const io = new Server({
    pingInterval: config.pingIntervalMs,
    pingTimeout: config.pingTimeoutMs,
    maxHttpBufferSize: config.maxHttpBufferBytes,
    // The bundle cannot resolve socket.io-client at run time; static.ts serves the client file.
    serveClient: false,
    // Compressing every frame costs CPU per delivery for small chat messages.
    perMessageDeflate: false,
    cors: config.corsOrigins.length > 0 ? { origin: config.corsOrigins, credentials: true } : undefined,
    connectionStateRecovery:
      config.redis && config.adapter === 'streams'
        ? { maxDisconnectionDuration: config.recoveryMaxDisconnectionMs, skipMiddlewares: false }
        : undefined,
    allowRequest: (_req, callback) => {
      if (lifecycle !== 'ready') return callback(lifecycle, false);
      if (connections() >= hardConnectionLimit) return callback(CONNECT_ERRORS.serverFull, false);
      callback(null, true);
    },
  });
  const metrics = deps.metrics ?? createMetrics({ config: config.metrics, logger, connectedClients: connections });
  const redis: AdapterRedis | undefined = !config.redis
    ? undefined
    : config.adapter === 'sharded'
      ? createClusterAdapterRedis(config.redis, logger, metrics)
      : createAdapterRedis(config.redis, logger, metrics, { queueWhileOffline: config.adapter === 'streams' });
  const redisState = (): RedisState => redis?.state() ?? 'disabled';
  const api = createApi({ io, config, logger, metrics, redis, lifecycle: () => lifecycle }); // api:

  httpServer.on('request', (req: IncomingMessage, res: ServerResponse) => {
    // Socket.IO answers its own path before this listener runs.
    if (req.url?.startsWith('/socket.io/')) return;
    if (api.handle(req, res)) return; // api:
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      return json(res, 200, {
        status: 'ok',
        node: nodeId,
        lifecycle,
        redis: redisState(),
        connections: connections(),
        uptimeS: Math.round((Date.now() - startedAt) / 1000),
      });
    }
    if (path === '/readyz') {
      // Ready while Redis reconnects: local delivery still works, and restarting tasks would not bring Redis back.
      return json(res, lifecycle === 'ready' ? 200 : 503, { status: lifecycle, node: nodeId, redis: redisState() });
    }
    if (!serveStatic(req, res)) json(res, 404, { error: 'not found' });
  });
  io.attach(httpServer);

  io.use((_socket, next) => {
    if (io.of('/').sockets.size >= limits.maxConnections) return next(new Error(CONNECT_ERRORS.serverFull));
    next();
  });
  const authenticate = config.auth.mode === 'jwt' ? createAuthenticator(config.auth) : undefined;
  io.use((socket, next: (err?: ExtendedError) => void) => {
    if (!authenticate) {
      socket.data.identity = { user: `guest-${socket.id.slice(0, 6)}` } satisfies Identity;
      return next();
    }
    const token: unknown = (socket.handshake.auth as Record<string, unknown> | undefined)?.token;
    authenticate(token).then(
      (identity) => {
        socket.data.identity = identity;
        next();
      },
      (err: unknown) => {
        // The reason is logged as a code; the token itself never is.
        logger.info({ reason: err instanceof AuthError ? err.message : 'error', ip: socket.handshake.address }, 'handshake refused');
        next(new Error(CONNECT_ERRORS.unauthorized));
      },
    );
  });

  const localMembers = (room: string) => io.of('/').adapter.rooms.get(room)?.size ?? 0;
  io.on(MEMBERS_COUNT, (room: unknown, reply: unknown) => {
    if (typeof room === 'string' && typeof reply === 'function') reply(localMembers(room));
  });
  const countMembers = async (room: string): Promise<number> => {
    if (!redis) return localMembers(room);
    if (redis.state() !== 'ready') throw new Error('redis is reconnecting');
    // The adapter's own timeout starts only after Redis has counted the nodes, so a stalled Redis needs this one.
    const remote = await withTimeout(io.serverSideEmitWithAck(MEMBERS_COUNT, room) as Promise<unknown[]>, config.redis!.requestsTimeoutMs);
    return remote.reduce<number>((sum, n) => sum + (typeof n === 'number' ? n : 0), localMembers(room));
  };

  const subscriptionsSettled = async (): Promise<void> => {
    const settled = redis?.subscriptionsSettled?.();
    // Past the bound the join stands locally; cross-node delivery follows once Redis answers.
    if (settled) await withTimeout(settled, config.redis!.requestsTimeoutMs).catch(() => undefined);
  };

  const lag = new LagMonitor(limits.shedLoadLagMs);
  lag.start();

  const userBuckets = new SharedBuckets(() => new TokenBucket(limits.perUser.ratePerS, limits.perUser.burst));

  io.on('connection', (socket: Socket) => {
    // A recovered socket kept its data, so its identity is the one its token proved earlier.
    const identity = socket.data.identity as Identity;
    const ctx: HandlerContext = {
      io,
      socket,
      logger,
      config,
      nodeId,
      identity,
      metrics,
      countMembers,
      subscriptionsSettled,
      overloaded: () => lag.overloaded(),
    };
    limitRate(socket, identity.user);
    registerRoomHandlers(ctx);
    registerChatHandlers(ctx);
    registerPresenceHandler(ctx, api.presence, config.api.presence.perSocket); // api:
    socket.onAny((event: string, ...args: unknown[]) => {
      if (KNOWN_EVENTS.has(event)) return;
      const ack = args.at(-1);
      if (typeof ack === 'function') ack(fail('unknown_event', `unknown event ${JSON.stringify(event).slice(0, 80)}`));
    });
    const session: SessionInfo = { sid: socket.id, node: nodeId, user: identity.user, recovered: socket.recovered };
    // api: every socket is in its user's room; `session` waits until publishes to it can arrive (sharded mode subscribes late).
    void Promise.resolve(socket.join(userRoom(identity.user)))
      .then(subscriptionsSettled)
      .then(() => socket.emit(EVENTS.session, session));
  });

  /** A token bucket per socket and per user; sustained abuse ends the connection. */
  function limitRate(socket: Socket, user: string): void {
    const own = new TokenBucket(limits.perSocket.ratePerS, limits.perSocket.burst);
    const shared = userBuckets.acquire(user);
    socket.once('disconnect', () => userBuckets.release(user));
    let rejectedInARow = 0;
    socket.use((packet, next) => {
      if (own.take() && shared.take()) {
        rejectedInARow = 0;
        return next();
      }
      const ack = packet.at(-1);
      if (typeof ack === 'function') ack(fail('rate_limited', 'too many events, slow down'));
      if (++rejectedInARow >= limits.disconnectAfterRejected) {
        logger.warn({ sid: socket.id, user, rejected: rejectedInARow }, 'disconnecting a socket that kept exceeding its rate limit');
        socket.disconnect(true);
      }
    });
  }

  /**
   * Counts deliveries once per broadcast rather than per written packet: `apply` is what every
   * broadcast, local or from another node, walks its target sockets with. The app broadcasts
   * only chat messages.
   */
  const countDeliveries = () => {
    const adapter = io.of('/').adapter as unknown as { apply(opts: unknown, fn: (socket: Socket) => void): void };
    const apply = adapter.apply.bind(adapter);
    adapter.apply = (opts, fn) => {
      let n = 0;
      apply(opts, (socket) => {
        n++;
        fn(socket);
      });
      metrics.increment('messagesDelivered', n);
    };
  };
  countDeliveries();

  // A client that stops reading would make the node buffer for it forever. Looking once a
  // second, off the write path, bounds that to a second of its traffic past the limits.
  const slowConsumerSweep = setInterval(() => {
    for (const socket of io.of('/').sockets.values()) dropIfSlow(socket);
  }, 1_000);
  slowConsumerSweep.unref();

  function dropIfSlow(socket: Socket): void {
    const conn = socket.conn as unknown as {
      writeBuffer: unknown[];
      transport: { name: string; socket?: { bufferedAmount?: number; terminate?: () => void } };
      close(discard?: boolean): void;
    };
    const bufferedBytes = conn.transport.name === 'websocket' ? (conn.transport.socket?.bufferedAmount ?? 0) : 0;
    const packets = conn.writeBuffer.length;
    if (bufferedBytes <= limits.slowConsumerMaxBufferedBytes && packets <= limits.slowConsumerMaxPackets) return;
    logger.warn({ sid: socket.id, bufferedBytes, packets }, 'dropping a slow consumer');
    conn.transport.socket?.terminate?.();
    conn.close(true);
  }

  const ready = (async () => {
    if (redis) {
      await redis.connect();
      const requestsTimeout = config.redis!.requestsTimeoutMs;
      io.adapter(
        config.adapter === 'streams'
          ? createStreamsAdapter(redis.pub)
          : config.adapter === 'sharded'
            ? createShardedAdapter(redis.pub, redis.sub)
            : createAdapter(redis.pub, redis.sub, { requestsTimeout }),
      );
      countDeliveries();
      logger.info({ redis: redactUrl(config.redis!.url), adapter: config.adapter }, 'redis adapter ready');
    } else {
      logger.warn('REDIS_URL is not set: running alone on the in-memory adapter, no cross-node delivery');
    }
    metrics.start();
    if (lifecycle === 'starting') lifecycle = 'ready';
  })();
  // A failed start surfaces through `ready`; this keeps it from being an unhandled rejection too.
  ready.catch(() => undefined);

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      lifecycle = 'draining';
      const deadline = Date.now() + config.drainTimeoutMs;
      await spreadDisconnects(io, Math.min(5_000, config.drainTimeoutMs / 4));
      // io.close() closes the remaining sockets, then each namespace's adapter, then the HTTP server.
      const ioClosed = io.close();
      await withTimeout(ioClosed, deadline - Date.now() - 1_000).catch(() => httpServer.closeAllConnections());
      await ioClosed;
      await redis?.close(Math.max(100, Math.min(2_000, deadline - Date.now())));
      clearInterval(slowConsumerSweep);
      api.close(); // api:
      lag.stop();
      await metrics.close();
      lifecycle = 'closed';
      logger.info('closed');
    })());

  return { io, metrics, ready, lifecycle: () => lifecycle, redisState, close };
}

/**
 * Closes the transports of all sockets in batches over `spreadMs`, so that clients reconnect
 * through the load balancer to other nodes without all arriving at once. Closing the
 * transport (not socket.disconnect()) is what makes Socket.IO clients reconnect by themselves.
 */
async function spreadDisconnects(io: Server, spreadMs: number): Promise<void> {
  const sockets = [...io.of('/').sockets.values()];
  const batches = Math.max(1, Math.min(10, Math.ceil(sockets.length / 100)));
  const size = Math.ceil(sockets.length / batches);
  for (let i = 0; i < batches; i++) {
    for (const socket of sockets.slice(i * size, (i + 1) * size)) socket.conn.close();
    if (i < batches - 1) await new Promise((resolve) => setTimeout(resolve, spreadMs / batches));
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
