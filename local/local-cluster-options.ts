import { parseCommandLine, numberOption } from '../tools/args';

export interface LocalClusterArgs {
  readonly nodes: number;
  /** HAProxy's port; the nodes take the ones above it. */
  readonly port: number;
  readonly verbose: boolean;
  /** Bundle the service once the ports are found free (npm start passes it). */
  readonly build: boolean;
}

export const LOCAL_CLUSTER_USAGE = `usage: npm start -- [--nodes N] [--port P] [--verbose]
  --nodes N    service nodes, 1 to 16 (default 3), on ports P+1 … P+N
  --port P     HAProxy, in the ALB's place (default 8080)
  --verbose    every node's and HAProxy's log lines
  --build      bundle the service (npm run build) once the ports are found free; npm start passes it
The service's environment (ADAPTER, AUTH_*, limits …) passes through to every node; REDIS_URL uses that Redis instead of starting one.
Exits 64 for a bad option, 78 for a taken port or a bad environment (one line naming it), 69 when redis-server or haproxy is missing.`;

/** `npm start`'s command line. */
export function parseLocalClusterArgs(argv: readonly string[]): LocalClusterArgs {
  const { values } = parseCommandLine(argv, {
    nodes: { type: 'string' },
    port: { type: 'string' },
    verbose: { type: 'boolean' },
    build: { type: 'boolean' },
  });
  const nodes = numberOption('--nodes', values.nodes, { integer: true, min: 1, max: 16, default: 3 });
  const port = numberOption('--port', values.port, { integer: true, min: 1, max: 65535 - nodes, default: 8080 });
  return { nodes, port, verbose: values.verbose ?? false, build: values.build ?? false };
}
