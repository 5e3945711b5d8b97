import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, requireBinary, waitFor } from '../tools/processes';
import { type RedisServer, startRedisServer } from './redis-server';

const run = promisify(execFile);

export interface RedisCluster {
  /** Seed URLs, one per primary; any one of them lets a cluster client discover the rest. */
  readonly urls: string[];
  readonly servers: RedisServer[];
  stop(): Promise<void>;
}

/** A throwaway Redis Cluster of `primaries` primaries (no replicas) on free loopback ports; `password` makes each require AUTH. */
export async function startRedisCluster(opts: { primaries?: number; password?: string } = {}): Promise<RedisCluster> {
  const cli = requireBinary('redis-cli', 'apt-get install redis-tools');
  const dir = await mkdtemp(join(tmpdir(), 'sio-redis-cluster-'));
  // redis-cli reads the password from REDISCLI_AUTH (-a would print a warning on every call).
  const cliEnv = { ...process.env, ...(opts.password ? { REDISCLI_AUTH: opts.password } : {}) };
  const servers: RedisServer[] = [];
  const stop = async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < (opts.primaries ?? 3); i++) {
      const port = await freePort();
      servers.push(
        await startRedisServer({
          port,
          password: opts.password,
          extraArgs: ['--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${port}.conf`), '--dir', dir],
        }),
      );
    }
    await run(cli, ['--cluster', 'create', ...servers.map((s) => `127.0.0.1:${s.port}`), '--cluster-replicas', '0', '--cluster-yes'], {
      timeout: 30_000,
      env: cliEnv,
    });
    // Slots are assigned at once, but each node learns the others' over the cluster bus.
    const deadline = Date.now() + 20_000;
    for (const s of servers) {
      await waitFor(
        async () => (await run(cli, ['-p', String(s.port), 'cluster', 'info'], { env: cliEnv })).stdout,
        (info) => info.includes('cluster_state:ok'),
        Math.max(0, deadline - Date.now()),
        100,
      );
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { urls: servers.map((s) => s.url), servers, stop };
}
