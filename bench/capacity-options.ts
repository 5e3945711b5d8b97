import { numberOption, parseCommandLine } from '../tools/args';
import { type CapacityInput, DEFAULT_IDEMPOTENCY_WINDOW_MS } from './capacity';

export interface CapacityArgs {
  readonly input: CapacityInput;
  /** A bench result to take the per-task figures from, instead of the newest in .bench/. */
  readonly bench?: string;
  readonly json: boolean;
}

export const CAPACITY_USAGE = `usage: npm run capacity -- --connections N --msg-rate R --room-size S
                           [--connections-per-task C] [--idempotent-rate P] [--idempotency-window-ms W] [--bench FILE] [--json]
  --connections N           concurrent connections
  --msg-rate R              chat messages sent per second, all connections together
  --room-size S             members per room (deliveries per message)
  --connections-per-task C  the stack's scaling target (default 2000)
  --idempotent-rate P       backend API publishes per second with an idempotencyKey (default 0): Redis memory
  --idempotency-window-ms W API_IDEMPOTENCY_WINDOW_MS (default ${DEFAULT_IDEMPOTENCY_WINDOW_MS})
  --bench FILE              per-task figures from this bench result (default: the newest .bench/*.json, else built-in defaults)
  --json                    the plan as JSON`;

/**
 * `npm run capacity`'s command line. Only that the values are numbers is checked here: their
 * ranges are planCapacity's, which names the input that is out of range.
 */
export function parseCapacityArgs(argv: readonly string[]): CapacityArgs {
  const { values } = parseCommandLine(argv, {
    connections: { type: 'string' },
    'msg-rate': { type: 'string' },
    'room-size': { type: 'string' },
    'connections-per-task': { type: 'string' },
    'idempotent-rate': { type: 'string' },
    'idempotency-window-ms': { type: 'string' },
    bench: { type: 'string' },
    json: { type: 'boolean' },
  });
  return {
    input: {
      connections: numberOption('--connections', values.connections, { required: true }),
      msgRate: numberOption('--msg-rate', values['msg-rate'], { required: true }),
      roomSize: numberOption('--room-size', values['room-size'], { required: true }),
      connectionsPerTask: numberOption('--connections-per-task', values['connections-per-task'], {}),
      idempotentPublishRate: numberOption('--idempotent-rate', values['idempotent-rate'], {}),
      idempotencyWindowMs: numberOption('--idempotency-window-ms', values['idempotency-window-ms'], {}),
    },
    bench: values.bench,
    json: values.json ?? false,
  };
}
