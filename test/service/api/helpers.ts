/**
 * Everything the backend API tests take from local/ and the shared test helpers comes through
 * this file, so that a rename there is a one-line fix here.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { Socket } from 'socket.io-client';
import type { AdapterMode } from '../../../contract/env';
import type { SessionInfo } from '../../../contract/app';
import { type LocalCluster } from '../../../local/local-cluster';
import { startRedisCluster } from '../../../local/redis-cluster';
import { startRedisServer } from '../../../local/redis-server';
import { BUNDLE, type ServiceNode, startServiceNode, UNTHROTTLED_ENV } from '../../../local/service-node';
import { freePorts, waitFor } from '../../../tools/processes';
import { type ClientOptions, closeAllClients, openClient, type Received, unique } from '../../helpers/clients';
import { publishingTo, startFakeCloudWatch } from '../../helpers/fake-cloudwatch';
import { startClusterBehindHaproxy } from '../../helpers/cluster';

export {
  BUNDLE,
  freePorts,
  publishingTo,
  startFakeCloudWatch,
  startRedisServer,
  startServiceNode,
  UNTHROTTLED_ENV,
  unique,
  waitFor,
  type LocalCluster,
  type Received,
  type ServiceNode,
};

export const JWT_SECRET = 'api-tests-secret-that-is-long-enough-for-hs256';
export const KEY_A = 'key-a-0123456789abcdef0123456789abcdef';
export const KEY_B = 'key-b-fedcba9876543210fedcba9876543210';

/** JWT auth (so that one user can have several sockets) and both keys, with a short presence bound. */
export const API_ENV: Readonly<NodeJS.ProcessEnv> = {
  AUTH_MODE: 'jwt',
  AUTH_JWT_SECRET: JWT_SECRET,
  API_KEYS: `${KEY_A},${KEY_B}`,
  PRESENCE_TIMEOUT_MS: '1000',
  PRESENCE_MAX_USERS: '3',
  ...UNTHROTTLED_ENV,
};

export const token = (sub: string, claims: Record<string, unknown> = {}) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(JWT_SECRET));

export interface ApiCluster {
  readonly mode: AdapterMode;
  readonly cluster: LocalCluster;
  readonly lbUrl: string;
  /** A Redis URL the emitter can use (a seed node in sharded mode). */
  readonly redisUrl: string;
  /** Starts a replacement for node `index` on its port, with `env` over the cluster's. */
  restartNode(index: number, env: NodeJS.ProcessEnv): Promise<ServiceNode>;
  stop(): Promise<void>;
}

function withPassword(url: string, password: string | undefined): string {
  if (!password) return url;
  const u = new URL(url);
  u.password = password;
  return u.toString();
}

/** Three nodes in `mode` behind HAProxy, on their own redis-server (a 3-primary Redis Cluster when sharded). */
export async function startApiCluster(mode: AdapterMode, env: NodeJS.ProcessEnv = {}): Promise<ApiCluster> {
  const redisCluster = mode === 'sharded' ? await startRedisCluster({ primaries: 3 }) : undefined;
  const nodeEnv = { ...API_ENV, ADAPTER: mode, ...env };
  try {
    const cluster = await startClusterBehindHaproxy({ nodes: 3, redisUrl: redisCluster?.urls[0], env: nodeEnv });
    return {
      mode,
      cluster,
      lbUrl: cluster.loadBalancer!.url,
      // The emitter process connects as any backend would: with the cluster's AUTH password.
      redisUrl: withPassword(cluster.redisUrl, cluster.redisPassword),
      async restartNode(index, overrides) {
        const old = cluster.nodes[index];
        await old.stop();
        const fresh = await startServiceNode({
          port: old.port,
          nodeId: old.nodeId,
          env: { REDIS_URL: cluster.redisUrl, REDIS_PASSWORD: cluster.redisPassword, ...nodeEnv, ...overrides },
        });
        cluster.nodes[index] = fresh;
        return fresh;
      },
      async stop() {
        await cluster.stop();
        await redisCluster?.stop();
      },
    };
  } catch (err) {
    await redisCluster?.stop();
    throw err;
  }
}

/** A socket of one user (the shared TestClient, without reconnection) that records every event the server sends it. */
export interface UserSocket {
  readonly user: string;
  readonly socket: Socket;
  readonly session: SessionInfo;
  readonly received: Received[];
  /** The first received event (past or future) that matches. */
  next(event: string, match?: (args: unknown[]) => boolean, timeoutMs?: number): Promise<unknown[]>;
  count(event: string, match?: (args: unknown[]) => boolean): number;
  request<T = Record<string, unknown>>(event: string, payload?: unknown): Promise<T>;
  /** Resolves with the reason once the socket is disconnected. */
  readonly disconnected: Promise<string>;
}

/** Closes every socket opened since the last call (the shared clients' closeAllClients). */
export const closeUserSockets = closeAllClients;

export async function openUserSocket(url: string, user: string, opts: ClientOptions = {}): Promise<UserSocket> {
  // Without reconnection, a disconnect by the server stays one.
  const client = await openClient(url, { reconnection: false, auth: { token: await token(user) }, ...opts });
  const { socket, session, received } = client;
  const disconnected = new Promise<string>((resolve) => {
    if (socket.disconnected) resolve('already disconnected when opened');
    else socket.once('disconnect', (reason) => resolve(reason));
  });
  return {
    user,
    socket,
    session,
    received,
    disconnected,
    next: client.nextEvent,
    count: (event, match = () => true) => received.filter((r) => r.event === event && match(r.args)).length,
    request: <T>(event: string, payload?: unknown) => client.request(event, payload) as Promise<T>,
  };
}

/** `count` sockets of `user` through the load balancer, on `count` different nodes (round robin spreads them; extras are closed). */
export async function openSpread(lbUrl: string, user: string, count: number): Promise<UserSocket[]> {
  const byNode = new Map<string, UserSocket>();
  for (let i = 0; i < count * 4 && byNode.size < count; i++) {
    const s = await openUserSocket(lbUrl, user);
    if (byNode.has(s.session.node)) s.socket.disconnect();
    else byNode.set(s.session.node, s);
  }
  if (byNode.size < count) throw new Error(`could not spread ${count} sockets of ${user} over ${count} nodes`);
  return [...byNode.values()];
}

export interface ApiAnswer {
  status: number;
  headers: Headers;
  body: Record<string, unknown> & { ok?: boolean; error?: { code: string; message: string } };
}

/** One request to the API; `key` null sends no Authorization header. */
export async function apiCall(
  base: string,
  method: string,
  path: string,
  opts: { key?: string | null; body?: unknown; raw?: string; headers?: Record<string, string> } = {},
): Promise<ApiAnswer> {
  const key = opts.key === undefined ? KEY_A : opts.key;
  const body = opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
  const res = await fetch(`${base}${path}`, {
    method,
    body,
    headers: { ...(key === null ? {} : { authorization: `Bearer ${key}` }), 'content-type': 'application/json', ...opts.headers },
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  let parsed: ApiAnswer['body'];
  try {
    parsed = JSON.parse(text) as ApiAnswer['body'];
  } catch {
    throw new Error(`${method} ${path} answered ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`);
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

/**
 * apiCall as a backend makes it: a 503 (`unavailable`, with Retry-After) is retried after the
 * delay it asks for, up to `withinMs`. A node that has just started may still be connecting its Redis clients.
 */
export async function apiCallRetrying(
  base: string,
  method: string,
  path: string,
  opts: Parameters<typeof apiCall>[3] = {},
  withinMs = 10_000,
) {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const answer = await apiCall(base, method, path, opts);
    if (answer.status !== 503 || Date.now() >= deadline) return answer;
    await new Promise((r) => setTimeout(r, Number(answer.headers.get('retry-after') ?? 1) * 1_000));
  }
}

export const publish = (base: string, body: unknown, key?: string | null) => apiCall(base, 'POST', '/api/v1/publish', { body, key });

/**
 * A publish body that the recipients can tell apart: its `data` (or null) and a fresh tag as the event's two arguments,
 * `args: [data, { id: tag }]` (the API delivers exactly the backend's arguments, and its id is only in the HTTP answer).
 */
export function tagged(body: Record<string, unknown>): { body: Record<string, unknown>; tag: string } {
  const tag = randomUUID();
  const { data, ...rest } = body;
  return { body: { ...rest, args: [data ?? null, { id: tag }] }, tag };
}

/** Publishes `body` tagged (see `tagged`) and returns its tag, for `withId`; throws unless it was accepted. */
export async function published(base: string, body: Record<string, unknown>): Promise<string> {
  const { body: sent, tag } = tagged(body);
  const answer = await publish(base, sent);
  if (answer.status !== 200 || answer.body.ok !== true) throw new Error(`publish refused: ${answer.status} ${JSON.stringify(answer.body)}`);
  return tag;
}

/** The event's second argument is the tag `id` of a `tagged` publish. */
export const withId = (id: string) => (args: unknown[]) => (args[1] as { id?: string } | undefined)?.id === id;

/**
 * Proves who got a publish and who did not. `publishIt` sends the event to be checked; once each
 * recipient has it, a barrier goes to everyone. Every node that holds a non-recipient also holds
 * a recipient, so by the time that recipient has the event its node has processed it, and the
 * barrier, written to each socket after it, shows the event will never reach the others.
 */
export async function expectDelivery(
  base: string,
  publishIt: () => Promise<string>,
  recipients: UserSocket[],
  others: UserSocket[],
  event: string,
): Promise<string> {
  const witnessed = new Set(recipients.map((r) => r.session.node));
  for (const o of others) if (!witnessed.has(o.session.node)) throw new Error(`no recipient shares ${o.session.node} with ${o.user}`);
  const id = await publishIt();
  await Promise.all(recipients.map((r) => r.next(event, withId(id))));
  const barrier = await published(base, { event: 'test:barrier', data: null });
  await Promise.all([...recipients, ...others].map((s) => s.next('test:barrier', withId(barrier))));
  for (const r of recipients)
    if (r.count(event, withId(id)) !== 1)
      throw new Error(`${r.user} on ${r.session.node} got ${event} ${r.count(event, withId(id))} times`);
  for (const o of others)
    if (o.count(event, withId(id)) !== 0) throw new Error(`${o.user} on ${o.session.node} got ${event}, which was not for it`);
  return id;
}
