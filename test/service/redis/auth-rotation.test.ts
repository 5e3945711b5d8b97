import { randomBytes } from 'node:crypto';
import { createClient } from 'redis';
import { afterEach, describe, expect, it } from 'vitest';
import { startRedisCluster } from '../../../local/redis-cluster';
import { type RedisServer, startRedisServer } from '../../../local/redis-server';
import { type ServiceNode, startServiceNode } from '../../../local/service-node';
import { closeAllClients, exchange, getJson, openClient, waitFor } from '../../helpers/clients';

/** An ElastiCache-like AUTH token: 64 letters and digits. */
const token = () =>
  randomBytes(48)
    .toString('base64')
    .replace(/[^A-Za-z0-9]/g, '')
    .slice(0, 64);
const redisState = async (node: ServiceNode) => (await getJson(`${node.url}/healthz`)).body.redis;

/**
 * The AUTH token rotation of docs/runbooks/redis-auth-rotation.md, on a real redis-server. ElastiCache's ROTATE
 * (both tokens accepted) is `ACL SETUSER default >new` here, and SET (the new one only) `resetpass >new`.
 */
describe('an AUTH token rotation while the nodes run', () => {
  let redis: RedisServer | undefined;
  const nodes: ServiceNode[] = [];
  afterEach(async () => {
    closeAllClients();
    await Promise.all(nodes.splice(0).map((n) => n.stop()));
    await redis?.stop();
  });

  /** What the operator's AWS CLI calls do to the replication group, as a Redis admin connection. */
  async function admin(password: string, ...commands: string[][]): Promise<void> {
    const client = createClient({ url: redis!.url, password, socket: { reconnectStrategy: false } });
    client.on('error', () => undefined);
    await client.connect();
    for (const command of commands) await client.sendCommand(command);
    await client.quit();
  }

  it('keeps every node ready through ROTATE, the deploy and SET, and reconnects with the new token after a restart', async () => {
    const [old, next, after] = [token(), token(), token()];
    redis = await startRedisServer({ password: old });
    const env = (password: string, passwordNext: string) => ({
      REDIS_URL: redis!.url,
      REDIS_PASSWORD: password,
      REDIS_PASSWORD_NEXT: passwordNext,
    });
    // A task of the release before the rotation: the secrets hold the token Redis takes and the next one.
    nodes.push(await startServiceNode({ env: env(old, next) }));

    // ROTATE: Redis takes both.
    await admin(old, ['ACL', 'SETUSER', 'default', 'on', `>${next}`]);
    // The deploy after the secrets were promoted: a new task with the next token first and a fresh next one.
    nodes.push(await startServiceNode({ env: env(next, after) }));
    const [a, b] = nodes;
    const clients = await Promise.all([openClient(a.url), openClient(b.url)]);
    for (const c of clients) await c.join('rotation');
    await exchange(clients, 'rotation', 'during ROTATE');

    // SET: the new token only. The open connections stay; every node stays ready and delivers across.
    await admin(next, ['ACL', 'SETUSER', 'default', 'resetpass', `>${next}`]);
    await expect(admin(old)).rejects.toThrow(/WRONGPASS/);
    for (const n of nodes) expect(await getJson(`${n.url}/readyz`)).toMatchObject({ status: 200 });
    await exchange(clients, 'rotation', 'after SET');

    // A restart (a failover, a node replacement) that knows the new token only: the old task sends its first
    // token, is rejected, and reconnects with the next one.
    await redis.stop();
    redis = await startRedisServer({ port: redis.port, password: next });
    await waitFor(
      () => Promise.all(nodes.map(redisState)),
      (s) => s.every((x) => x === 'ready'),
      20_000,
    );
    await exchange(clients, 'rotation', 'after the restart');
    for (const n of nodes) expect(await getJson(`${n.url}/readyz`)).toMatchObject({ status: 200 });

    expect(a.logs.find((l) => l.component === 'redis-auth')).toMatchObject({ level: 'warn', sending: 'REDIS_PASSWORD_NEXT' });
    // b never needed the other token.
    expect(b.logs.filter((l) => l.component === 'redis-auth')).toEqual([]);
    // No token reaches a log line.
    for (const n of nodes) for (const t of [old, next, after]) expect(JSON.stringify(n.logs)).not.toContain(t);
  });

  it('starts on REDIS_PASSWORD_NEXT when Redis already takes only that one (SET before the deploy)', async () => {
    const [old, next] = [token(), token()];
    redis = await startRedisServer({ password: next });
    const node = await startServiceNode({ env: { REDIS_URL: redis.url, REDIS_PASSWORD: old, REDIS_PASSWORD_NEXT: next } });
    nodes.push(node);
    expect(await redisState(node)).toBe('ready');
    expect(await getJson(`${node.url}/readyz`)).toMatchObject({ status: 200 });
  });

  it('says so once when Redis takes neither token, keeps retrying, and connects once it takes one', async () => {
    const [current, wrong, next] = [token(), token(), token()];
    redis = await startRedisServer({ password: current });
    const lines: string[] = [];
    const starting = startServiceNode({
      env: { REDIS_URL: redis.url, REDIS_PASSWORD: wrong, REDIS_PASSWORD_NEXT: next, REDIS_RECONNECT_MAX_DELAY_MS: '200' },
      onLog: (line) => lines.push(line),
      timeoutMs: 30_000,
    });
    await waitFor(
      () => lines.filter((l) => l.includes('Redis rejects both REDIS_PASSWORD and REDIS_PASSWORD_NEXT')).length,
      (n) => n === 1,
    );
    // Many more rejections (clients retrying, probes asking again) while both are refused.
    // Redis's ACL log counts the failed AUTHs (entries of one kind are grouped, with a count).
    const deniedAuth = async () => {
      const log = createClient({ url: redis!.url, password: current, socket: { reconnectStrategy: false } });
      await log.connect();
      const entries = (await log.sendCommand(['ACL', 'LOG'])) as unknown[][];
      await log.quit();
      const field = (entry: unknown[], name: string) => entry[entry.indexOf(name) + 1];
      return entries.filter((e) => field(e, 'reason') === 'auth').reduce((n, e) => n + Number(field(e, 'count')), 0);
    };
    const deniedAtFirstLine = await deniedAuth();
    await waitFor(deniedAuth, (n) => n >= deniedAtFirstLine + 10);
    // The operator's fix: Redis takes the next token (ROTATE).
    await admin(current, ['ACL', 'SETUSER', 'default', 'on', `>${next}`]);
    const node = await starting;
    nodes.push(node);
    expect(await redisState(node)).toBe('ready');
    // Said once for the whole time both were refused.
    expect(lines.filter((l) => l.includes('Redis rejects both')).length).toBe(1);
  });

  it('ADAPTER=sharded: discovers a Redis Cluster that takes only REDIS_PASSWORD_NEXT, and its node clients use it', async () => {
    const [old, next] = [token(), token()];
    const cluster = await startRedisCluster({ password: next });
    try {
      const env = { ADAPTER: 'sharded', REDIS_URL: cluster.urls[0], REDIS_PASSWORD: old, REDIS_PASSWORD_NEXT: next };
      nodes.push(await startServiceNode({ env }), await startServiceNode({ env }));
      const clients = await Promise.all(nodes.map((n) => openClient(n.url)));
      for (const c of clients) await c.join('rotation');
      // Across nodes: through SPUBLISH/SSUBSCRIBE on the shard that owns the room's channel.
      await exchange(clients, 'rotation', 'sharded');
      for (const n of nodes) expect(n.logs.find((l) => l.component === 'redis-auth')).toMatchObject({ sending: 'REDIS_PASSWORD_NEXT' });
    } finally {
      closeAllClients();
      await Promise.all(nodes.splice(0).map((n) => n.stop()));
      await cluster.stop();
    }
  });
});
