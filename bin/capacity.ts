// `npm run capacity -- --connections N --msg-rate R --room-size S [...]`: see bench/capacity-options.ts.
import { readFileSync } from 'node:fs';
import { figuresFromBench, latestFigures, planCapacity } from '../bench/capacity';
import { formatPlan } from '../bench/capacity-format';
import { CAPACITY_USAGE, parseCapacityArgs } from '../bench/capacity-options';
import { BENCH_RESULT_VERSION, type BenchResult } from '../bench/run';
import { UsageError, runMain } from '../tools/cli';

/** The per-task figures of `--bench FILE`, or a UsageError saying why it has none. */
function figuresOf(file: string) {
  let result: BenchResult;
  try {
    result = JSON.parse(readFileSync(file, 'utf8')) as BenchResult;
  } catch (err) {
    throw new UsageError(`--bench ${file}: ${(err as Error).message}`);
  }
  if (result.version !== BENCH_RESULT_VERSION) {
    throw new UsageError(
      `${file} is a bench result of version ${result.version}, from before the modes had names: run npm run bench again`,
    );
  }
  const found = figuresFromBench(result, file);
  if (!found) throw new UsageError(`${file} lacks the figures (it needs modes single-node and pubsub with both workloads)`);
  return found;
}

runMain({ name: 'capacity', usage: CAPACITY_USAGE }, () => {
  const args = parseCapacityArgs(process.argv.slice(2));
  const plan = planCapacity(args.input, args.bench ? figuresOf(args.bench) : latestFigures());
  console.log(args.json ? JSON.stringify(plan, null, 2) : formatPlan(plan));
});
