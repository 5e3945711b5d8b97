import type { ChildProcess } from 'node:child_process';
import { AppPathError, buildDist } from '../tools/bundle';
import { join } from 'node:path';
import { CliError, EXIT } from '../tools/cli';
import { ExitedBeforeReadyError, exited, freePort, spawnUntil, stopProcess } from '../tools/processes';

const ROOT = join(__dirname, '..');
export const BUNDLE = join(ROOT, 'service', 'dist', 'server.js');

/** `npm run build`: bundles the platform and the demo chat into BUNDLE's folder; a failure is one line, nothing started. */
export function buildBundle(): void {
  try {
    buildDist();
  } catch (err) {
    if (err instanceof AppPathError) throw new CliError(`npm run build failed: ${err.message}; nothing was started`, EXIT.failure);
    throw err;
  }
}

/** The service exits with this code, EX_CONFIG, after one line naming what is wrong with its environment. */
const SERVICE_CONFIG_EXIT = 78;

/**
 * No share of a node per user or per guest address, and no reserved slots: for load that comes from one address as one
 * user (a soak, a benchmark), which the limits would otherwise take for a flood.
 */
export const ONE_SOURCE_LOAD_ENV: Readonly<NodeJS.ProcessEnv> = {
  MAX_CONNECTIONS_PER_USER: '1000000',
  MAX_CONNECTIONS_PER_GUEST_IP: '1000000',
  MAX_CONNECTIONS_RESERVED_PERCENT: '0',
};

/**
 * Rate limits, packet budgets, pre-auth caps and shares of a node raised far above any load a test or benchmark
 * offers, for runs that measure or exercise something else (parsers, buffers, throughput) rather than the limits.
 */
export const UNTHROTTLED_ENV: Readonly<NodeJS.ProcessEnv> = {
  ...ONE_SOURCE_LOAD_ENV,
  RATE_LIMIT_PER_SOCKET: '100000',
  RATE_LIMIT_PER_SOCKET_BURST: '100000',
  RATE_LIMIT_PER_USER: '1000000',
  RATE_LIMIT_PER_USER_BURST: '1000000',
  RATE_LIMIT_DISCONNECT_AFTER: '100000',
  USER_DELIVERIES_PER_S: '1000000000',
  USER_DELIVERIES_BURST: '1000000000',
  API_DELIVERIES_PER_KEY_PER_S: '1000000000',
  API_DELIVERIES_PER_KEY_BURST: '1000000000',
  CONNECTION_PACKETS_PER_S: '1000000',
  CONNECTION_PACKETS_BURST: '1000000',
  CONNECTION_BYTES_PER_S: '1073741824',
  CONNECTION_BURST_BYTES: '1073741824',
  PREAUTH_MAX_SESSIONS: '1000000',
  PREAUTH_MAX_SESSIONS_PER_IP: '1000000',
};

export interface ServiceNode {
  readonly port: number;
  readonly url: string;
  readonly nodeId: string;
  readonly child: ChildProcess;
  /** Every log line so far, parsed. */
  readonly logs: Array<Record<string, unknown>>;
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs the bundled server and resolves once it logs that it is ready. */
export async function startServiceNode(opts: {
  /** @default a free port */
  port?: number;
  env?: NodeJS.ProcessEnv;
  nodeId?: string;
  onLog?: (line: string) => void;
  timeoutMs?: number;
}): Promise<ServiceNode> {
  const port = opts.port ?? (await freePort());
  const nodeId = opts.nodeId ?? `node-${port}`;
  const logs: Array<Record<string, unknown>> = [];
  const child = await spawnUntil(process.execPath, ['--enable-source-maps', BUNDLE], {
    env: {
      // The AWS SDK's notice that its releases after January 2027 need Node 22 (the image runs 22), unless asked for.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...process.env,
      HOST: '127.0.0.1',
      PORT: String(port),
      NODE_ID: nodeId,
      ...opts.env,
    },
    timeoutMs: opts.timeoutMs,
    onLine: (line) => {
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        logs.push({ raw: line });
      }
      opts.onLog?.(line);
    },
    isReady: (line) => line.includes('"msg":"ready"'),
  }).catch((err: unknown) => {
    // A bad environment: the service's own line says which variable and what it takes.
    if (err instanceof ExitedBeforeReadyError && err.code === SERVICE_CONFIG_EXIT && err.lines.length > 0) {
      throw new CliError(err.lines.at(-1)!, EXIT.config);
    }
    throw err;
  });
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    nodeId,
    child,
    logs,
    stop: (signal = 'SIGTERM') => stopProcess(child, signal, 30_000),
    exited: () => exited(child),
  };
}
