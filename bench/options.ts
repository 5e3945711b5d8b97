import { join } from 'node:path';
import { choiceList, inputFileOption, numberOption, outputFileOption, parseCommandLine } from '../tools/args';
import { BENCH_MODES, type BenchMode, MODE_DESCRIPTIONS, RENAMED_MODES } from './servers';

export interface BenchOptions {
  readonly quick: boolean;
  readonly nodes: number;
  readonly out: string;
  readonly modes: BenchMode[];
  /** The backend API's figures after the modes' (off with --no-api). */
  readonly api: boolean;
  readonly bundle?: string;
}

const width = Math.max(...BENCH_MODES.map((m) => m.length));

export const BENCH_USAGE = `usage: npm run bench -- [--quick] [--nodes N] [--out FILE] [--modes ${BENCH_MODES.join(',')}]
         [--no-api] [--bundle FILE]
  --quick      smaller and shorter: about 1.5 minutes with the build on 2 busy cores (90 s measured)
  --nodes N    nodes in the modes with N nodes, 1 to 9 (default 2)
  --out FILE   JSON results (default .bench/bench-<timestamp>.json)
  --modes      a comma-separated subset of the modes (default all), run in this order:
${BENCH_MODES.map((m) => `                 ${m.padEnd(width)}  ${MODE_DESCRIPTIONS[m]}`).join('\n')}
  --no-api     leave out the backend API's figures: publishes/s on one node, presence latency at 1 000 and
               10 000 sockets (10 000 needs ulimit -n above ~11 000; --quick measures 1 000 only)
  --bundle     another service bundle to measure in the service's modes (tuning experiments)`;

/** `npm run bench`'s command line. */
export function parseBenchArgs(argv: readonly string[], now = new Date()): BenchOptions {
  const { values } = parseCommandLine(argv, {
    quick: { type: 'boolean' },
    nodes: { type: 'string' },
    out: { type: 'string' },
    modes: { type: 'string' },
    'no-api': { type: 'boolean' },
    bundle: { type: 'string' },
  });
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  return {
    quick: values.quick ?? false,
    // One digit: the load workers read the sender's node index from one character of the text.
    nodes: numberOption('--nodes', values.nodes, { integer: true, min: 1, max: 9, default: 2 }),
    out: outputFileOption('--out', values.out ?? join('.bench', `bench-${stamp}.json`)),
    modes:
      values.modes === undefined ? [...BENCH_MODES] : choiceList('--modes', values.modes, { choices: BENCH_MODES, renamed: RENAMED_MODES }),
    api: !values['no-api'],
    bundle:
      values.bundle === undefined ? undefined : inputFileOption('--bundle', values.bundle, 'a service bundle (as npm run build writes)'),
  };
}
