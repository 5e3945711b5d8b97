// npm run capacity -- --connections N --msg-rate R --room-size S [--connections-per-task C] [--bench FILE] [--json]
import { readFileSync } from 'node:fs';
import { CapacityInputError, DEFAULT_FIGURES, figuresFromBench, type Figures, latestFigures, planCapacity } from '../bench/capacity';
import type { BenchResult } from '../bench/run';

const USAGE = `usage: npm run capacity -- --connections N --msg-rate R --room-size S [--connections-per-task C] [--bench FILE] [--json]
  --connections N   concurrent connections
  --msg-rate R      chat messages sent per second, all connections together
  --room-size S     members per room (deliveries per message)
  --bench FILE      per-task figures from this bench result (default: the newest .bench/*.json, else built-in defaults)`;

function parse(argv: string[]) {
  const values = new Map<string, string>();
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s);
    if (flag === '--json') json = true;
    else if (['--connections', '--msg-rate', '--room-size', '--connections-per-task', '--bench'].includes(flag)) {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new CapacityInputError(`${flag} needs a value`);
      values.set(flag, v);
    } else throw new CapacityInputError(`unknown option ${argv[i]}`);
  }
  const num = (flag: string) => {
    const v = values.get(flag);
    if (v === undefined) throw new CapacityInputError(`${flag} is required`);
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n)) throw new CapacityInputError(`${flag} must be a number, got ${JSON.stringify(v)}`);
    return n;
  };
  return {
    json,
    bench: values.get('--bench'),
    input: {
      connections: num('--connections'),
      msgRate: num('--msg-rate'),
      roomSize: num('--room-size'),
      connectionsPerTask: values.has('--connections-per-task') ? num('--connections-per-task') : undefined,
    },
  };
}

function main(): void {
  const args = parse(process.argv.slice(2));
  let figures: Figures;
  if (args.bench) {
    const found = figuresFromBench(JSON.parse(readFileSync(args.bench, 'utf8')) as BenchResult, args.bench);
    if (!found) throw new CapacityInputError(`${args.bench} lacks the figures (it needs modes b and c with both workloads)`);
    figures = found;
  } else figures = latestFigures();
  const plan = planCapacity(args.input, figures);
  if (args.json) return console.log(JSON.stringify(plan, null, 2));
  const usd = (n: number) => `$${n.toLocaleString('en-US')}`;
  const f = plan.figures;
  console.log(
    [
      `load: ${plan.input.connections.toLocaleString('en-US')} connections, ${plan.input.msgRate.toLocaleString('en-US')} msg/s, rooms of ${plan.input.roomSize} → ${plan.deliveriesPerS.toLocaleString('en-US')} deliveries/s`,
      `tasks: ${plan.tasks.count} x Fargate ${plan.tasks.vcpu} vCPU / ${plan.tasks.memoryGB} GB (ARM64), ~${plan.tasks.connectionsPerTask.toLocaleString('en-US')} connections and ${Math.round(plan.tasks.cpuUtilization * 100)} % CPU each, sized by ${plan.tasks.limitedBy}`,
      `adapter: ADAPTER=${plan.adapter}`,
      `redis: ${plan.redis.mode}, ${plan.redis.shards} shard(s) x ${plan.redis.nodes / plan.redis.shards} nodes = ${plan.redis.nodes} x ${plan.redis.nodeType}; busiest primary ~${Math.round(plan.redis.primaryCpuUtilization * 100)} % CPU, ${plan.redis.primaryNetworkMBps} MB/s`,
      `monthly (us-east-1 on-demand, prices as of ${plan.pricesAsOf}): Fargate ${usd(plan.monthlyUsd.fargate)} + ElastiCache ${usd(plan.monthlyUsd.redis)} + ALB ${usd(plan.monthlyUsd.alb)} + egress ${usd(plan.monthlyUsd.egress)} = ${usd(plan.monthlyUsd.total)}`,
      `per-task figures (${f.source}${f === DEFAULT_FIGURES ? '' : ', measured'}): ${f.nodeUsPerMessage} µs/message, ${f.nodeUsPerReceive} µs/receive per node, ${f.nodeUsPerDelivery} µs/delivery, redis ${f.redisUsPerMessage2} µs/message, ${f.rssPerConnKB} KB/connection, ${f.baseRssMB} MB base`,
      'assumptions:',
      ...plan.assumptions.map((a) => `  - ${a}`),
    ].join('\n'),
  );
}

try {
  main();
} catch (err) {
  if (err instanceof CapacityInputError) {
    console.error(`${err.message}\n${USAGE}`);
    process.exit(2);
  }
  throw err;
}
