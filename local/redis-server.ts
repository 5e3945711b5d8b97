import type { ChildProcess } from 'node:child_process';
import { freePort, requireBinary, spawnUntil, stopProcess } from '../tools/processes';

export interface RedisServer {
  readonly port: number;
  /** Without credentials: the password, if any, is `password`. */
  readonly url: string;
  /** What AUTH needs (`--requirepass`), as ElastiCache's AUTH token; none by default. */
  readonly password?: string;
  /** Starts it again on the same port, after stop(). */
  start(): Promise<void>;
  /** Stops it: SIGTERM by default, SIGKILL to simulate a crash. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** A throwaway redis-server on a free loopback port, persisting nothing. */
export async function startRedisServer(opts: { port?: number; password?: string; extraArgs?: string[] } = {}): Promise<RedisServer> {
  const bin = requireBinary('redis-server', 'apt-get install redis-server');
  const port = opts.port ?? (await freePort());
  let child: ChildProcess | undefined;
  const server: RedisServer = {
    port,
    url: `redis://127.0.0.1:${port}`,
    password: opts.password,
    async start() {
      child = await spawnUntil(
        bin,
        [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--save',
          '',
          '--appendonly',
          'no',
          '--protected-mode',
          'no',
          ...(opts.password ? ['--requirepass', opts.password] : []),
          ...(opts.extraArgs ?? []),
        ],
        { isReady: (line) => line.includes('Ready to accept connections') },
      );
    },
    async stop(signal = 'SIGTERM') {
      if (child) await stopProcess(child, signal);
      child = undefined;
    },
  };
  await server.start();
  return server;
}
