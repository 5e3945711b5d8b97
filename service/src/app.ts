import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import { Server, type Socket } from 'socket.io';
import type { Config } from './config';
import { registerChatHandlers } from './handlers/chat';
import type { HandlerContext } from './handlers/context';
import { registerRoomHandlers } from './handlers/rooms';
import type { Logger } from './logger';
import { createMetrics, type Metrics } from './metrics/publisher';
import { EVENTS, fail, type SessionInfo } from './protocol';
import { type AdapterRedis, createAdapterRedis, type RedisState } from './redis';
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

const KNOWN_EVENTS = new Set<string>([EVENTS.roomJoin, EVENTS.roomLeave, EVENTS.roomMembers, EVENTS.chatMessage]);
const MEMBERS_COUNT = 'members:count';

export function createApp(httpServer: HttpServer, config: Config, deps: AppDeps): App {
  const { logger, nodeId } = deps;
  const startedAt = Date.now();
  let lifecycle: Lifecycle = 'starting';

  const io = new Server({
    pingInterval: config.pingIntervalMs,
    pingTimeout: config.pingTimeoutMs,
    maxHttpBufferSize: config.maxHttpBufferBytes,
    // The bundle cannot resolve socket.io-client at run time; the client file is served from dist/public.
    serveClient: false,
    // Nothing is accepted before the adapter is in place, nor while draining.
    allowRequest: (_req, callback) => (lifecycle === 'ready' ? callback(null, true) : callback(lifecycle, false)),
  });
  const metrics =
    deps.metrics ?? createMetrics({ config: config.metrics, logger, connectedClients: () => io.engine?.clientsCount ?? 0 });
  const redis: AdapterRedis | undefined = config.redis ? createAdapterRedis(config.redis, logger, metrics) : undefined;
  const redisState = (): RedisState => redis?.state() ?? 'disabled';

  httpServer.on('request', (req: IncomingMessage, res: ServerResponse) => {
    // Socket.IO answers its own path before this listener runs.
    if (req.url?.startsWith('/socket.io/')) return;
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      return json(res, 200, { status: 'ok', node: nodeId, lifecycle, redis: redisState(), connections: io.engine?.clientsCount ?? 0, uptimeS: Math.round((Date.now() - startedAt) / 1000) });
    }
    if (path === '/readyz') {
      // Ready while Redis reconnects: local delivery still works, and restarting tasks would not bring Redis back.
      return json(res, lifecycle === 'ready' ? 200 : 503, { status: lifecycle, node: nodeId, redis: redisState() });
    }
    if (!serveStatic(req, res)) json(res, 404, { error: 'not found' });
  });
  io.attach(httpServer);

  const localMembers = (room: string) => io.of('/').adapter.rooms.get(room)?.size ?? 0;
  io.on(MEMBERS_COUNT, (room: unknown, reply: unknown) => {
    if (typeof room === 'string' && typeof reply === 'function') reply(localMembers(room));
  });
  const countMembers = async (room: string): Promise<number> => {
    if (!redis) return localMembers(room);
    if (redis.state() !== 'ready') throw new Error('redis is reconnecting');
    const remote: unknown[] = await io.serverSideEmitWithAck(MEMBERS_COUNT, room);
    return remote.reduce<number>((sum, n) => sum + (typeof n === 'number' ? n : 0), localMembers(room));
  };

  io.on('connection', (socket: Socket) => {
    const user = `guest-${socket.id.slice(0, 6)}`;
    const ctx: HandlerContext = { io, socket, logger, config, nodeId, user, metrics, countMembers };
    registerRoomHandlers(ctx);
    registerChatHandlers(ctx);
    socket.onAny((event: string, ...args: unknown[]) => {
      if (KNOWN_EVENTS.has(event)) return;
      const ack = args.at(-1);
      if (typeof ack === 'function') ack(fail('unknown_event', `unknown event ${JSON.stringify(event).slice(0, 80)}`));
    });
    socket.onAnyOutgoing((event: string) => {
      if (event === EVENTS.chatMessage) metrics.increment('messagesDelivered');
    });
    const session: SessionInfo = { sid: socket.id, node: nodeId, user };
    socket.emit(EVENTS.session, session);
  });

  const ready = (async () => {
    if (redis) {
      await redis.connect();
      io.adapter(createAdapter(redis.pub, redis.sub, { requestsTimeout: config.redis!.requestsTimeoutMs }));
      logger.info({ redis: redactUrl(config.redis!.url) }, 'redis adapter ready');
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
      if (!(await within(ioClosed, deadline - Date.now() - 1_000))) httpServer.closeAllConnections();
      await ioClosed;
      await redis?.close(Math.max(100, Math.min(2_000, deadline - Date.now())));
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

async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), Math.max(0, ms))));
  const result = await Promise.race([promise.then(() => true), timeout]);
  clearTimeout(timer);
  return result;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
