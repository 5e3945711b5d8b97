import { numberOption, parseCommandLine } from '../tools/args';
import { UsageError } from '../tools/cli';

export interface StopTaskArgs {
  readonly node: string;
  /** The load balancer's port: which `npm start` cluster. */
  readonly port: number;
  /** Overrides the delay the cluster derived from its nodes' drain. */
  readonly deregistrationDelayMs?: number;
  readonly stopTimeoutMs: number;
  /** SIGTERM at once, without deregistering the node first: a failover, as a task that stops on its own. */
  readonly kill: boolean;
}

export const STOP_TASK_USAGE = `usage: npm run stop-task -- --node node-N [--port P] [--deregistration-delay S] [--stop-timeout S] [--kill]
  --node node-N               the node to stop, as npm start names them
  --port P                    the load balancer's port of the npm start cluster (default 8080)
  --deregistration-delay S    seconds the target drains (default: the cluster's, derived from its nodes' drain)
  --stop-timeout S            seconds from SIGTERM to SIGKILL, 1 to 120 (default 30, ECS's default)
  --kill                      SIGTERM at once, as \`kill\` does, without deregistering the node: a failover, which
                              HAProxy finds by its health checks
Stops the node as ECS stops a task behind an ALB: deregistered (no new requests, open connections stay), the
deregistration delay, the remaining connections closed, SIGTERM, SIGKILL after the stop timeout; prints the timeline.
Exits 2 when the node had to be killed, 78 when no such cluster or node runs.`;

/** `npm run stop-task`'s command line. */
export function parseStopTaskArgs(argv: readonly string[]): StopTaskArgs {
  const { values } = parseCommandLine(argv, {
    node: { type: 'string' },
    port: { type: 'string' },
    'deregistration-delay': { type: 'string' },
    'stop-timeout': { type: 'string' },
    kill: { type: 'boolean' },
  });
  if (values.node === undefined) throw new UsageError('--node is required');
  if (!/^node-\d{1,2}$/.test(values.node)) throw new UsageError(`--node takes a name such as node-2, got ${JSON.stringify(values.node)}`);
  const delayS = numberOption('--deregistration-delay', values['deregistration-delay'], { min: 0, max: 3600 });
  const kill = values.kill ?? false;
  if (kill && delayS !== undefined)
    throw new UsageError('--deregistration-delay does not apply with --kill, which does not deregister the node');
  return {
    node: values.node,
    port: numberOption('--port', values.port, { integer: true, min: 1, max: 65535, default: 8080 }),
    deregistrationDelayMs: delayS === undefined ? undefined : Math.round(delayS * 1_000),
    stopTimeoutMs: Math.round(numberOption('--stop-timeout', values['stop-timeout'], { above: 0, max: 120, default: 30 }) * 1_000),
    kill,
  };
}
