import { join } from 'node:path';
import { choiceList, inputFileOption, numberOption, outputFileOption, parseCommandLine } from '../tools/args';
import { UsageError } from '../tools/cli';
import { SERVICE_BUNDLE } from './servers';
import { FULL, QUICK, type Sizes, type WorkloadSpec } from './sizes';

const WORKLOADS = ['fanout', 'small'] as const;

export interface AbCliOptions {
  readonly bundleA: string;
  readonly bundleB: string;
  readonly rounds: number;
  readonly workload: WorkloadSpec['name'];
  readonly quick: boolean;
  readonly sizes: Sizes;
  readonly nodes: number;
  readonly deliveriesPerS: number;
  readonly windowMs: number;
  readonly out: string;
  readonly profileDir?: string;
  readonly idlePerSetup: number;
  readonly nodeArgsA: readonly string[];
  readonly nodeArgsB: readonly string[];
  readonly viaHaproxy: boolean;
}

export const AB_USAGE = `usage: npm run bench:ab -- --a FILE [--b FILE] [--rounds R] [--workload fanout|small] [--quick]
         [--nodes N] [--rate DELIVERIES_PER_S] [--window-ms MS] [--out FILE] [--profile DIR]
         [--idle N] [--a-node-args=FLAGS] [--b-node-args=FLAGS] [--via-haproxy]
  --a FILE      the service bundle measured as A (e.g. built from main), required
  --b FILE      the bundle measured as B (default service/dist/server.js, the working tree's build)
  --rounds R    rounds, each visiting A, B and stock once, in alternating order (default 4)
  --workload    fanout (one big room) or small (many rooms of 4) (default fanout)
  --quick       the quick run's room sizes (100 members, 50 rooms) and warm-up
  --nodes N     nodes of each setup, 1 to 9 (default 2)
  --rate N      offered deliveries/s in every window (default 20000, 10000 with --quick)
  --window-ms   each measured window (default 3000, 1500 with --quick)
  --out FILE    JSON results (default .bench/ab-<timestamp>.json)
  --profile DIR a --cpu-prof of every node under DIR/A, DIR/B, DIR/stock, and their self time by module
  --idle N      N idle sockets held open on each setup for the whole run, spread over its nodes (default 0)
  --a-node-args=FLAGS  Node flags for A's nodes, space-separated, after an = (e.g. --a-node-args=--enable-source-maps,
                as npm start and the image run the nodes)
  --b-node-args=FLAGS  the same for B's nodes
  --via-haproxy every node of every setup behind an HAProxy configured as npm start's (its CPU not counted)`;

/** Node flags from one option's value; only flags, so that a stray file name cannot replace the bundle. */
function nodeFlags(flag: string, value: string | undefined): string[] {
  const flags = (value ?? '').split(/\s+/).filter(Boolean);
  const bad = flags.find((f) => !f.startsWith('--'));
  if (bad !== undefined) throw new UsageError(`${flag} takes Node flags (each starting with --), not "${bad}"`);
  return flags;
}

/** `npm run bench:ab`'s command line. */
export function parseAbArgs(argv: readonly string[], now = new Date()): AbCliOptions {
  const { values } = parseCommandLine(argv, {
    a: { type: 'string' },
    b: { type: 'string' },
    rounds: { type: 'string' },
    workload: { type: 'string' },
    quick: { type: 'boolean' },
    nodes: { type: 'string' },
    rate: { type: 'string' },
    'window-ms': { type: 'string' },
    out: { type: 'string' },
    profile: { type: 'string' },
    idle: { type: 'string' },
    'a-node-args': { type: 'string' },
    'b-node-args': { type: 'string' },
    'via-haproxy': { type: 'boolean' },
  });
  if (!values.a) throw new UsageError('--a FILE is required: the bundle to compare with (e.g. one built from main)');
  const quick = values.quick ?? false;
  const sizes = quick ? QUICK : FULL;
  const [workload] =
    values.workload === undefined
      ? ['fanout' as const]
      : choiceList('--workload', values.workload, { choices: WORKLOADS }, { single: true });
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  const opts: AbCliOptions = {
    bundleA: values.a,
    bundleB: values.b ?? SERVICE_BUNDLE,
    rounds: numberOption('--rounds', values.rounds, { integer: true, min: 1, max: 50, default: 4 }),
    workload,
    quick,
    sizes,
    nodes: numberOption('--nodes', values.nodes, { integer: true, min: 1, max: 9, default: 2 }),
    deliveriesPerS: numberOption('--rate', values.rate, { min: 100, max: 1_000_000, default: sizes.fixedDeliveriesPerS }),
    windowMs: numberOption('--window-ms', values['window-ms'], { integer: true, min: 200, max: 60_000, default: quick ? 1_500 : 3_000 }),
    out: values.out ?? join('.bench', `ab-${stamp}.json`),
    profileDir: values.profile,
    idlePerSetup: numberOption('--idle', values.idle, { integer: true, min: 0, max: 20_000, default: 0 }),
    nodeArgsA: nodeFlags('--a-node-args', values['a-node-args']),
    nodeArgsB: nodeFlags('--b-node-args', values['b-node-args']),
    viaHaproxy: values['via-haproxy'] ?? false,
  };
  // The files last: a mistyped value is named before what the file system says.
  const bundle = 'a service bundle (npm run build writes service/dist/server.js)';
  inputFileOption('--a', opts.bundleA, bundle);
  inputFileOption('--b', opts.bundleB, bundle);
  outputFileOption('--out', opts.out);
  return opts;
}
