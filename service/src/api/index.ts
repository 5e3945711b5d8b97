import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server } from 'socket.io';
import type { z } from 'zod';
import { API_PREFIX, publishRequest, targetRoom, userId } from '../../../contract/api';
import type { AdapterMode } from '../../../contract/env';
import type { Config } from '../config';
import type { ApiConfig } from './config';
import { apiKeySender, type DeliveryBudgets } from '../delivery/delivery-budget';
import { ClusterQueries } from '../rooms/cluster-query';
import { TokenBucket } from '../admission/token-bucket';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics/publisher';
import { createPresence, type Presence, PresenceUnavailable } from '../rooms/presence';
import type { AdapterRedis } from '../redis/adapter-redis';
import { declaredTooLarge, parseJsonObject, readBody, refuseProtoKeys } from './body';
import { type IdempotencyStore, memoryStore, type RedisCommand, redisStore } from './idempotency';
import { invalidMessage } from './invalid';
import { ApiKeys, unauthorizedMessage } from './keys';
import { ApiMetrics } from './metrics';
import { createPublish } from './publish';
import { ApiError, sendJson } from './respond';

export interface ApiDeps {
  readonly io: Server;
  readonly config: Config;
  readonly logger: Logger;
  readonly metrics: Pick<Metrics, 'addSource'>;
  readonly redis?: AdapterRedis;
  /** What each key's publishes cost in deliveries on this node (delivery/delivery-budget.ts). */
  readonly deliveries: DeliveryBudgets;
  /** Requests are refused (503) unless the node is ready. */
  readonly lifecycle: () => string;
}

export interface Api {
  /** Answers requests under /api/; returns false for any other path. */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  /** Presence and user disconnect across the cluster, for `room:presence` too. */
  readonly presence: Presence;
  readonly metrics: ApiMetrics;
  close(): void;
}

type Route = 'publish' | 'disconnect' | 'roomPresence' | 'userPresence';
const METHODS: Record<Route, string> = { publish: 'POST', disconnect: 'POST', roomPresence: 'GET', userPresence: 'GET' };
/** Named in a 404, so that a mistyped path says what there is. */
const ENDPOINTS = [
  `POST ${API_PREFIX}/publish`,
  `POST ${API_PREFIX}/users/:user/disconnect`,
  `GET ${API_PREFIX}/rooms/:room/presence`,
  `GET ${API_PREFIX}/users/:user/presence`,
].join(', ');
/** A path or a value quoted back in a message, cut here. */
const QUOTED_PATH_CHARS = 100;

/** The route and its path parameter, or an ApiError (404, or 400 for a path that does not decode). */
function route(path: string): { route: Route; param: string } {
  const shown = path.slice(0, QUOTED_PATH_CHARS);
  if (!path.startsWith(`${API_PREFIX}/`)) throw new ApiError('not_found', `no such endpoint ${shown}: the endpoints are ${ENDPOINTS}`);
  let parts: string[];
  try {
    parts = path
      .slice(API_PREFIX.length + 1)
      .split('/')
      .map(decodeURIComponent);
  } catch {
    throw new ApiError('invalid_payload', `the path ${shown} is not valid percent-encoding: encode each part with encodeURIComponent`);
  }
  if (parts.length === 1 && parts[0] === 'publish') return { route: 'publish', param: '' };
  if (parts.length === 3 && parts[0] === 'users' && parts[2] === 'disconnect') return { route: 'disconnect', param: parts[1] };
  if (parts.length === 3 && parts[0] === 'users' && parts[2] === 'presence') return { route: 'userPresence', param: parts[1] };
  if (parts.length === 3 && parts[0] === 'rooms' && parts[2] === 'presence') return { route: 'roomPresence', param: parts[1] };
  throw new ApiError('not_found', `no such endpoint ${shown}: the endpoints are ${ENDPOINTS}`);
}

/** The value `schema` parses `v` to, or a 400 naming each field that is wrong (`subject` names `v` itself). */
function parseParam<T>(schema: z.ZodType<T>, v: unknown, subject: string): T {
  const parsed = schema.safeParse(v);
  if (!parsed.success) throw new ApiError('invalid_payload', invalidMessage(schema, parsed.error, v, subject));
  return parsed.data;
}

function redisCommand(redis: AdapterRedis, mode: AdapterMode): RedisCommand {
  // The cluster client routes by the key; the plain client takes the arguments alone.
  if (mode === 'sharded') {
    const cluster = redis.pub as { sendCommand(key: string, readonly: boolean, args: string[]): Promise<unknown> };
    return (key, args) => cluster.sendCommand(key, false, args);
  }
  const client = redis.pub as { sendCommand(args: string[]): Promise<unknown> };
  return (_key, args) => client.sendCommand(args);
}

/**
 * The key's limits on this node, as one check: 429 `rate_limited` past its request rate (API_RATE_LIMIT_PER_KEY), and
 * for a publish 429 `delivery_budget_exceeded` while the key's publishes have caused more deliveries on this node than
 * API_DELIVERIES_PER_KEY_* allow, with the seconds until that debt is earned back.
 */
function keyLimits(cfg: ApiConfig, deliveries: DeliveryBudgets): (key: number, route: Route) => void {
  const buckets = cfg.keys.map(() => new TokenBucket(cfg.perKey.ratePerS, cfg.perKey.burst));
  const rate = `API_RATE_LIMIT_PER_KEY (${cfg.perKey.ratePerS}/s, burst ${cfg.perKey.burst})`;
  const budget = `API_DELIVERIES_PER_KEY_PER_S (${cfg.deliveriesPerKey.ratePerS}/s, burst ${cfg.deliveriesPerKey.burst})`;
  return (key, route) => {
    if (!buckets[key].take()) {
      throw new ApiError('rate_limited', `this key is over ${rate} on this node: retry after 1 s`, { 'retry-after': '1' });
    }
    const debt = route === 'publish' ? deliveries.debt(apiKeySender(key)) : 0;
    if (debt === 0) return;
    const wait = deliveries.secondsToRepay(apiKeySender(key), debt);
    throw new ApiError(
      'delivery_budget_exceeded',
      `this key's publishes reached more sockets than ${budget} allows on this node: retry after ${wait} s`,
      { 'retry-after': String(wait) },
    );
  };
}

const hasBody = (req: IncomingMessage) => Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;

export function createApi(deps: ApiDeps): Api {
  const { io, config, logger, redis } = deps;
  const cfg = config.api;
  const log = logger.child({ component: 'api' });
  const keys = new ApiKeys(cfg.keys);
  const metrics = new ApiMetrics();
  deps.metrics.addSource?.(metrics.collect);
  const clusterReachable = () => !redis || redis.state() === 'ready';
  const queries = new ClusterQueries(io, log);
  const presence = createPresence({
    io,
    queries,
    clusterReachable,
    timeoutMs: cfg.presence.timeoutMs,
    maxUsers: cfg.presence.maxUsers,
    onTimeout: () => metrics.presenceTimeout(),
  });
  const idempotency: IdempotencyStore = redis
    ? redisStore(redisCommand(redis, config.adapter), cfg.idempotencyWindowMs, config.redis!.requestsTimeoutMs)
    : memoryStore(cfg.idempotencyWindowMs);
  const publish = createPublish({ io, maxTargets: cfg.maxTargets, idempotency });
  const limit = keyLimits(cfg, deps.deliveries);

  if (keys.enabled) log.info({ keys: cfg.keys.length }, `backend API enabled at ${API_PREFIX}/`);
  else log.info(`API_KEYS is not set: the backend API (${API_PREFIX}/) is off and answers 404`);

  const unavailableIfRedisAway = () => {
    if (!clusterReachable()) throw new ApiError('unavailable', 'redis is reconnecting: nothing was done, retry', { 'retry-after': '1' });
  };

  async function serve(req: IncomingMessage, res: ServerResponse, started: number): Promise<number> {
    if (!keys.enabled) throw new ApiError('not_found', `the backend API is off on this service: set API_KEYS to turn it on`);
    const key = keys.match(req.headers.authorization);
    if (key < 0) throw new ApiError('unauthorized', unauthorizedMessage(req.headers.authorization), { 'www-authenticate': 'Bearer' });
    const { route: r, param } = route((req.url ?? '/').split('?')[0]);
    if (req.method !== METHODS[r]) {
      const message = `${req.method} is not allowed on ${req.url?.split('?')[0].slice(0, QUOTED_PATH_CHARS)}: use ${METHODS[r]}`;
      throw new ApiError('method_not_allowed', message, { allow: METHODS[r] });
    }
    if (deps.lifecycle() !== 'ready') throw new ApiError('unavailable', `the node is ${deps.lifecycle()}, retry`, { 'retry-after': '1' });
    limit(key, r);
    if (declaredTooLarge(req, cfg.maxBodyBytes))
      throw new ApiError('payload_too_large', `the body is larger than API_MAX_BODY_BYTES (${cfg.maxBodyBytes} bytes)`);
    try {
      switch (r) {
        case 'publish': {
          const body = parseParam(publishRequest, parseJsonObject(await readBody(req, cfg.maxBodyBytes)), 'the body');
          refuseProtoKeys(body);
          unavailableIfRedisAway();
          const answer = await publish(body, apiKeySender(key));
          metrics.publishLatency(performance.now() - started);
          return sendJson(res, 200, answer);
        }
        case 'disconnect':
          return sendJson(res, 200, { ok: true, ...(await presence.disconnectUser(parseParam(userId, param, 'the user in the path'))) });
        case 'userPresence':
          return sendJson(res, 200, { ok: true, ...(await presence.user(parseParam(userId, param, 'the user in the path'))) });
        case 'roomPresence':
          return sendJson(res, 200, { ok: true, ...(await presence.room(parseParam(targetRoom, param, 'the room in the path'))) });
      }
    } catch (err) {
      if (err instanceof PresenceUnavailable)
        throw new ApiError('unavailable', `${err.message}: nothing was done, retry`, { 'retry-after': '1' });
      throw err;
    }
  }

  return {
    handle(req, res) {
      const url = req.url ?? '/';
      if (url !== '/api' && !url.startsWith('/api/') && !url.startsWith('/api?')) return false;
      const started = performance.now();
      serve(req, res, started)
        .catch((err: unknown) => {
          if (err instanceof ApiError) {
            // A body refused before it was read is not read at all: the connection goes with the answer.
            const close: Record<string, string> = !req.readableEnded && hasBody(req) ? { connection: 'close' } : {};
            return sendJson(res, err.status, err.body(), { ...err.headers, ...close });
          }
          log.error({ err, method: req.method, url: url.slice(0, 200) }, 'api request failed');
          return sendJson(res, 500, { ok: false, error: { code: 'internal', message: 'internal error' } });
        })
        .then((status) => {
          metrics.request(status);
          if (status >= 500) log.warn({ status, method: req.method, url: url.slice(0, 200) }, 'api request answered 5xx');
        })
        .catch(() => undefined);
      return true;
    },
    presence,
    metrics,
    close() {
      queries.close();
      idempotency.close();
    },
  };
}
