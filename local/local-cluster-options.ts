import { resolve } from 'node:path';
import { parseCommandLine, numberOption } from '../tools/args';
import { UsageError } from '../tools/cli';
import { AppPathError, resolveAppEntry } from '../tools/bundle';

export interface LocalClusterArgs {
  readonly nodes: number;
  /** HAProxy's port; the nodes take the ones above it. */
  readonly port: number;
  readonly verbose: boolean;
  /** Bundle the service once the ports are found free (npm start passes it). */
  readonly build: boolean;
  /** The app every node runs (an absolute path to a file or a directory); undefined for the bundle's own (the demo chat). */
  readonly app?: string;
}

export const LOCAL_CLUSTER_USAGE = `usage: npm start -- [--app PATH] [--nodes N] [--port P] [--verbose]
  --app PATH   the Socket.IO app every node runs (docs/apps.md): a file or a directory, JS or TS (default: the demo chat)
  --nodes N    service nodes, 1 to 16 (default 3), on ports P+1 … P+N
  --port P     HAProxy, in the ALB's place (default 8080)
  --verbose    every node's and HAProxy's log lines
  --build      bundle the service (npm run build) once the ports are found free; npm start passes it
The service's environment (ADAPTER, AUTH_*, limits …) passes through to every node; REDIS_URL uses that Redis instead of starting one.
Exits 64 for a bad option, 78 for a taken port or a bad environment (one line naming it), 69 when redis-server or haproxy is missing.`;

/**
 * `npm start`'s command line. `cwd` is where a relative --app starts: npm runs scripts in the package's folder and
 * names the caller's own in INIT_CWD.
 */
export function parseLocalClusterArgs(argv: readonly string[], cwd = process.env.INIT_CWD || process.cwd()): LocalClusterArgs {
  const { values } = parseCommandLine(argv, {
    nodes: { type: 'string' },
    port: { type: 'string' },
    verbose: { type: 'boolean' },
    build: { type: 'boolean' },
    app: { type: 'string' },
  });
  const nodes = numberOption('--nodes', values.nodes, { integer: true, min: 1, max: 16, default: 3 });
  const port = numberOption('--port', values.port, { integer: true, min: 1, max: 65535 - nodes, default: 8080 });
  return { nodes, port, verbose: values.verbose ?? false, build: values.build ?? false, app: appOption(values.app, cwd) };
}

/** An app path that is not an app, or an app that does not build, as a usage error naming `--app`; anything else as it is. */
export function appUsageError(err: unknown): unknown {
  return err instanceof AppPathError ? new UsageError(`--app ${err.message.replace(/^app /, '')}`) : err;
}

/** `--app PATH`: checked before anything starts, and made absolute against `cwd`. */
function appOption(value: string | undefined, cwd: string): string | undefined {
  if (value === undefined) return undefined;
  try {
    resolveAppEntry(value, cwd);
  } catch (err) {
    throw appUsageError(err);
  }
  return resolve(cwd, value);
}
