import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type AdapterMode, envSchema } from '../contract/env';
import { CliError, EXIT, UsageError } from '../tools/cli';
import { round } from '../tools/numbers';
import { BENCH_RESULT_VERSION, type BenchResult, keptUp, type WindowResult, type WorkloadResult } from './run';

/**
 * us-east-1 on-demand prices, in one place. Fargate: Linux/ARM64 (the stack's default
 * architecture). ElastiCache: Valkey node-based (the stack's engine), 20 % under Redis OSS.
 */
export const PRICES = {
  asOf: '2026-03',
  fargateVcpuHour: 0.03238,
  fargateGbHour: 0.00356,
  cacheNodeHour: { 'cache.m7g.large': 0.1264, 'cache.m7g.xlarge': 0.2528 } as Record<string, number>,
  albHour: 0.0225,
  albLcuHour: 0.008,
  /** Internet egress per GB: first 10 TB, next 40 TB, next 100 TB, beyond. */
  egressTiers: [
    [10_240, 0.09],
    [40_960, 0.085],
    [102_400, 0.07],
    [Infinity, 0.05],
  ] as Array<[number, number]>,
} as const;

const HOURS_PER_MONTH = 730;
const MAX_TASKS = 1_000_000;

/** Per-task figures, measured by the bench: one node (single-node) and N nodes (pubsub). */
export interface Figures {
  readonly source: string;
  /** Node CPU per message on the node that accepts it (validate, ack, encode, publish). */
  readonly nodeUsPerMessage: number;
  /** Node CPU per message on every node that receives it from Redis (decode, match rooms). */
  readonly nodeUsPerReceive: number;
  /** Node CPU per socket write. */
  readonly nodeUsPerDelivery: number;
  /** redis-server CPU per published message with 2 subscribed nodes. */
  readonly redisUsPerMessage2: number;
  /** Heap per idle connection (heapUsed + external after a full GC), in KB: the bench's heap column, not RSS growth. */
  readonly heapPerConnKB: number;
  readonly baseRssMB: number;
}

/**
 * Taken from the full run in docs/performance.md (2-core shared x86 dev machine, `npm run
 * bench`): used when no .bench/*.json is at hand.
 */
export const DEFAULT_FIGURES: Figures = {
  source: 'defaults: the full run of 2026-11 in docs/performance.md (heap per connection: the run of 2026-12-01)',
  nodeUsPerMessage: 27,
  nodeUsPerReceive: 18,
  nodeUsPerDelivery: 5.3,
  redisUsPerMessage2: 6,
  // The pubsub mode's heap column, 14 377 B, in the run of 2026-12-01 (docs/performance.md, "Memory per connection").
  heapPerConnKB: 14.04,
  baseRssMB: 150,
};

/** Assumptions of the model that the bench does not measure. */
export const ASSUMPTIONS = {
  /** The autoscaling target of the stack (infra/config.ts targetCpuPercent). */
  taskCpuTarget: 0.6,
  /** The stack's connections-per-task scaling target (infra/config.ts targetConnectionsPerTask). */
  connectionsPerTask: 2_000,
  /**
   * Memory per connection over the measured heap per idle connection: V8 lets its heap grow to about twice the live
   * size between full GCs, and a busy connection holds send buffers and fragments pages that an idle one does not.
   */
  memoryHeadroom: 2,
  /** One Redis main thread, kept at half load so that a failover or a burst fits. */
  redisCpuTarget: 0.5,
  /** cache.m7g.large baseline network, bytes/s, kept at half. */
  redisNetworkBytesPerS: 0.5 * (937.5e6 / 8),
  /** A published message on the wire (msgpack'd packet, ~100-byte text, channel name). */
  redisBytesPerMessage: 400,
  /** Nodes per shard: primary + 2 replicas over 3 AZs (as the prod preset). */
  nodesPerShard: 3,
  cacheNodeType: 'cache.m7g.large',
  /** cache.m7g.large's memory (the ElastiCache pricing page), GiB. */
  cacheNodeMemoryGiB: 6.38,
  /**
   * Of a node's memory, what the data may use: ElastiCache reserves 25 % (reserved-memory-percent, the default;
   * https://docs.aws.amazon.com/AmazonElastiCache/latest/red-ug/redis-memory-management.html), and half of the rest is
   * kept free, as the CPU and network are kept at half.
   */
  redisMemoryShare: 0.75 * 0.5,
  /**
   * Redis memory per remembered idempotencyKey (docs/api.md): the key `sio:api:idem:<key>`, its value (the publish's id
   * and fingerprint), its expiry and their share of the two hash tables. Measured on redis-server 7.0 (jemalloc) over
   * 16 500 to 130 000 keys: 224–256 B for keys of up to 16 characters, 352–386 B for the longest (128); MEMORY USAGE,
   * which leaves out the expiry and the tables, says 152–296 B. The longest key's worst case, rounded up
   * (test/service/api/idempotency.test.ts measures it again).
   */
  redisBytesPerIdempotencyKey: 400,
  /** Egress per delivery: JSON message, WebSocket frame, TLS record, TCP/IP. */
  bytesPerDelivery: 300,
  /** Mean connection lifetime, for the ALB's new-connections dimension. */
  sessionMinutes: 30,
  minTasks: 2,
} as const;

/** Fargate task sizes worth considering: Node runs one event loop, so more than 1 vCPU buys little. */
export const TASK_SIZES: Array<{ vcpu: number; memoryGB: number[] }> = [
  { vcpu: 0.5, memoryGB: [1, 2, 3, 4] },
  { vcpu: 1, memoryGB: [2, 3, 4, 5, 6, 7, 8] },
];

export interface CapacityInput {
  readonly connections: number;
  /** Chat messages sent per second, over all connections. */
  readonly msgRate: number;
  /** Members per room: each message is delivered this many times. */
  readonly roomSize: number;
  /** Overrides the stack's scaling target. */
  readonly connectionsPerTask?: number;
  /** Backend API publishes per second with an idempotencyKey, all nodes together (default 0). */
  readonly idempotentPublishRate?: number;
  /** API_IDEMPOTENCY_WINDOW_MS: how long each key is remembered (default the service's, 5 minutes). */
  readonly idempotencyWindowMs?: number;
}

/** The service's default API_IDEMPOTENCY_WINDOW_MS, read from its schema (contract/env.ts), its one home. */
export const DEFAULT_IDEMPOTENCY_WINDOW_MS = envSchema.shape.API_IDEMPOTENCY_WINDOW_MS.parse(undefined);

export interface CapacityPlan {
  readonly input: Required<CapacityInput>;
  readonly deliveriesPerS: number;
  readonly adapter: Extract<AdapterMode, 'pubsub' | 'sharded'>;
  readonly tasks: {
    readonly count: number;
    readonly vcpu: number;
    readonly memoryGB: number;
    readonly connectionsPerTask: number;
    /** Expected CPU use of one task at this load, as a fraction of its vCPUs. */
    readonly cpuUtilization: number;
    readonly limitedBy: 'connections' | 'cpu' | 'memory' | 'minimum';
  };
  readonly redis: {
    readonly mode: 'single primary' | 'cluster';
    readonly shards: number;
    readonly nodeType: string;
    readonly nodes: number;
    /** CPU use of the busiest primary's main thread. */
    readonly primaryCpuUtilization: number;
    readonly primaryNetworkMBps: number;
    /** Memory the remembered idempotency keys take, all shards together (the keys spread over them by hash slot). */
    readonly idempotencyMB: number;
    /** Of the busiest primary's memory, the share those keys take. */
    readonly primaryMemoryUtilization: number;
  };
  readonly monthlyUsd: {
    readonly fargate: number;
    readonly redis: number;
    readonly alb: number;
    readonly egress: number;
    readonly total: number;
  };
  readonly figures: Figures;
  readonly pricesAsOf: string;
  readonly assumptions: string[];
}

function check(input: CapacityInput): Required<CapacityInput> {
  const positiveInt = (name: string, v: number) => {
    if (!Number.isInteger(v) || v < 1) throw new UsageError(`${name} must be a positive integer, got ${v}`);
  };
  positiveInt('connections', input.connections);
  positiveInt('room size', input.roomSize);
  if (!Number.isFinite(input.msgRate) || input.msgRate < 0)
    throw new UsageError(`msg rate must be a number of messages per second >= 0, got ${input.msgRate}`);
  if (input.roomSize > input.connections)
    throw new UsageError(`room size (${input.roomSize}) cannot exceed connections (${input.connections})`);
  const perTask = input.connectionsPerTask ?? ASSUMPTIONS.connectionsPerTask;
  positiveInt('connections per task', perTask);
  const idempotentPublishRate = input.idempotentPublishRate ?? 0;
  if (!Number.isFinite(idempotentPublishRate) || idempotentPublishRate < 0)
    throw new UsageError(`idempotent publish rate must be a number of publishes per second >= 0, got ${idempotentPublishRate}`);
  const idempotencyWindowMs = input.idempotencyWindowMs ?? DEFAULT_IDEMPOTENCY_WINDOW_MS;
  positiveInt('idempotency window (ms)', idempotencyWindowMs);
  return { ...input, connectionsPerTask: perTask, idempotentPublishRate, idempotencyWindowMs };
}

/** Bytes of Redis the idempotency keys remembered at once take: rate × window × bytes per key. */
export const idempotencyBytes = (inp: Required<CapacityInput>) =>
  inp.idempotentPublishRate * (inp.idempotencyWindowMs / 1000) * ASSUMPTIONS.redisBytesPerIdempotencyKey;

/** Expected number of distinct tasks holding members of one room, members spread at random. */
const nodesPerRoom = (tasks: number, roomSize: number) => tasks * (1 - (1 - 1 / tasks) ** roomSize);

interface Option {
  adapter: CapacityPlan['adapter'];
  tasks: CapacityPlan['tasks'];
  redis: CapacityPlan['redis'];
  fargate: number;
  redisCost: number;
}

function planTasks(inp: Required<CapacityInput>, f: Figures, adapter: Option['adapter']): Array<Omit<Option, 'redis' | 'redisCost'>> {
  const plans: Array<Omit<Option, 'redis' | 'redisCost'>> = [];
  const d = inp.msgRate * inp.roomSize;
  for (const size of TASK_SIZES) {
    const budgetUs = ASSUMPTIONS.taskCpuTarget * size.vcpu * 1e6;
    const cpuUs = (t: number) => {
      const receivers = adapter === 'pubsub' ? t : nodesPerRoom(t, inp.roomSize);
      return (inp.msgRate * (f.nodeUsPerMessage + receivers * f.nodeUsPerReceive) + d * f.nodeUsPerDelivery) / t;
    };
    const memGB = (t: number) => (f.baseRssMB + (inp.connections / t) * (f.heapPerConnKB / 1024) * ASSUMPTIONS.memoryHeadroom) / 1024;
    const byConnections = Math.ceil(inp.connections / inp.connectionsPerTask);
    const floor = Math.max(ASSUMPTIONS.minTasks, byConnections);
    const fits = (t: number) => cpuUs(t) <= budgetUs && memGB(t) <= size.memoryGB.at(-1)!;
    // Both needs fall as tasks are added, so the fewest tasks that fit is found by bisection.
    let hi = floor;
    while (!fits(hi) && hi < MAX_TASKS) hi = Math.min(MAX_TASKS, hi * 2);
    if (!fits(hi)) continue;
    let lo = floor - 1;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (fits(mid)) hi = mid;
      else lo = mid;
    }
    const t = hi;
    const limitedBy: CapacityPlan['tasks']['limitedBy'] =
      t > floor ? (cpuUs(t - 1) > budgetUs ? 'cpu' : 'memory') : byConnections >= ASSUMPTIONS.minTasks ? 'connections' : 'minimum';
    const memoryGB = size.memoryGB.find((m) => m >= memGB(t))!;
    const fargate = t * (size.vcpu * PRICES.fargateVcpuHour + memoryGB * PRICES.fargateGbHour) * HOURS_PER_MONTH;
    plans.push({
      adapter,
      tasks: {
        count: t,
        vcpu: size.vcpu,
        memoryGB,
        connectionsPerTask: Math.ceil(inp.connections / t),
        cpuUtilization: round(cpuUs(t) / (size.vcpu * 1e6), 3),
        limitedBy,
      },
      fargate,
    });
  }
  return plans;
}

function planRedis(
  inp: Required<CapacityInput>,
  f: Figures,
  adapter: Option['adapter'],
  tasks: number,
): { redis: CapacityPlan['redis']; cost: number } | undefined {
  // redis-server's work per message grows with the subscribers it writes to: (1 + n) / 3 of the 2-node figure.
  const subscribers = adapter === 'pubsub' ? tasks : nodesPerRoom(tasks, inp.roomSize);
  const cpuUs = inp.msgRate * f.redisUsPerMessage2 * ((1 + subscribers) / 3);
  const bytes = inp.msgRate * ASSUMPTIONS.redisBytesPerMessage * (1 + subscribers);
  const memory = idempotencyBytes(inp);
  const memoryBudget = ASSUMPTIONS.cacheNodeMemoryGiB * 2 ** 30 * ASSUMPTIONS.redisMemoryShare;
  const needed = Math.max(cpuUs / (ASSUMPTIONS.redisCpuTarget * 1e6), bytes / ASSUMPTIONS.redisNetworkBytesPerS, memory / memoryBudget);
  const shards = adapter === 'pubsub' ? 1 : Math.max(1, Math.ceil(needed));
  if (adapter === 'pubsub' && needed > 1) return undefined;
  const nodes = shards * ASSUMPTIONS.nodesPerShard;
  return {
    redis: {
      mode: adapter === 'pubsub' ? 'single primary' : 'cluster',
      shards,
      nodeType: ASSUMPTIONS.cacheNodeType,
      nodes,
      primaryCpuUtilization: round(cpuUs / shards / 1e6, 3),
      primaryNetworkMBps: round(bytes / shards / 1e6, 2),
      idempotencyMB: round(memory / 1e6, 1),
      primaryMemoryUtilization: round(memory / shards / (ASSUMPTIONS.cacheNodeMemoryGiB * 2 ** 30), 3),
    },
    cost: nodes * PRICES.cacheNodeHour[ASSUMPTIONS.cacheNodeType] * HOURS_PER_MONTH,
  };
}

function egressUsd(gbPerMonth: number): number {
  let left = gbPerMonth;
  let usd = 0;
  for (const [tierGB, price] of PRICES.egressTiers) {
    const used = Math.min(left, tierGB);
    usd += used * price;
    left -= used;
    if (left <= 0) break;
  }
  return usd;
}

/** Sizes the tasks and Redis for a load, and prices them; the cheapest feasible layout wins. */
export function planCapacity(input: CapacityInput, figures: Figures = DEFAULT_FIGURES): CapacityPlan {
  const inp = check(input);
  const deliveriesPerS = inp.msgRate * inp.roomSize;
  const options: Option[] = [];
  for (const adapter of ['pubsub', 'sharded'] as const) {
    for (const t of planTasks(inp, figures, adapter)) {
      const r = planRedis(inp, figures, adapter, t.tasks.count);
      if (r) options.push({ ...t, redis: r.redis, redisCost: r.cost });
    }
  }
  if (options.length === 0)
    throw new CliError(
      'no layout fits: the load is beyond what this model can place ' +
        '(over a million tasks, or the pubsub adapter past what one node can decode and no cluster shard count helps)',
      EXIT.usage,
    );
  // Cheapest first; on a tie the pubsub adapter (no cluster mode) and the smaller task.
  options.sort((a, b) => a.fargate + a.redisCost - (b.fargate + b.redisCost));
  const best = options[0];
  const secondsPerMonth = HOURS_PER_MONTH * 3600;
  const egressGB = (deliveriesPerS * ASSUMPTIONS.bytesPerDelivery * secondsPerMonth) / 1e9;
  const lcu = Math.max(
    inp.connections / (ASSUMPTIONS.sessionMinutes * 60) / 25,
    inp.connections / 3_000,
    (deliveriesPerS * ASSUMPTIONS.bytesPerDelivery * 3600) / 1e9,
  );
  const alb = (PRICES.albHour + lcu * PRICES.albLcuHour) * HOURS_PER_MONTH;
  const egress = egressUsd(egressGB);
  const total = best.fargate + best.redisCost + alb + egress;
  return {
    input: inp,
    deliveriesPerS,
    adapter: best.adapter,
    tasks: best.tasks,
    redis: best.redis,
    monthlyUsd: {
      fargate: round(best.fargate, 0),
      redis: round(best.redisCost, 0),
      alb: round(alb, 0),
      egress: round(egress, 0),
      total: round(total, 0),
    },
    figures,
    pricesAsOf: PRICES.asOf,
    assumptions: describeAssumptions(inp),
  };
}

function describeAssumptions(inp: Required<CapacityInput>): string[] {
  const a = ASSUMPTIONS;
  return [
    `tasks run at <= ${a.taskCpuTarget * 100} % CPU (the stack's autoscaling target) ` +
      `and hold <= ${inp.connectionsPerTask} connections (its connections-per-task target), at least ${a.minTasks}`,
    `a Fargate vCPU (Graviton) does the work of one core of the machine the bench ran on`,
    `memory per task: base RSS + connections x measured heap per idle connection x ${a.memoryHeadroom} ` +
      `(heap growth between GCs, send buffers, fragmentation)`,
    `with the pubsub adapter every task receives and decodes every message; ` +
      `with the sharded adapter only the tasks holding members of the room (members spread at random)`,
    `redis-server CPU per message grows as (1 + subscribed tasks) / 3 of the 2-node figure; ` +
      `a primary is kept under ${a.redisCpuTarget * 100} % CPU and half of ${a.cacheNodeType}'s baseline network; ` +
      `${a.nodesPerShard} nodes per shard (primary + 2 replicas)`,
    `rooms and their traffic spread evenly over shards (one hot room cannot be split)`,
    `an idempotency key takes ${a.redisBytesPerIdempotencyKey} bytes of Redis for API_IDEMPOTENCY_WINDOW_MS ` +
      `(${inp.idempotencyWindowMs} ms); the keys take at most ${a.redisMemoryShare * 100} % of a node's ${a.cacheNodeMemoryGiB} GiB ` +
      `(25 % is reserved, half the rest kept free)`,
    `egress: ${a.bytesPerDelivery} bytes per delivery to the internet; ALB: connections last ${a.sessionMinutes} min on average`,
    `on-demand us-east-1 prices as of ${PRICES.asOf}; no savings plans, NAT, logs or metrics`,
  ];
}

/** The busiest kept-up window at which each node stays under `maxCores` (near the tasks' CPU target). */
function representative(w: WorkloadResult, nodes: number, maxCores = 0.7): WindowResult {
  const kept = [w.fixed, ...w.ramp].filter((x) => keptUp(x) && x.nodeCores / nodes <= maxCores);
  return kept.sort((a, b) => b.deliveredPerS - a.deliveredPerS)[0] ?? w.fixed;
}

/**
 * Per-task figures from one bench result; undefined when it lacks the modes they come from
 * (single-node and pubsub, with both workloads) or was written before the modes had names.
 */
export function figuresFromBench(result: BenchResult, source: string): Figures | undefined {
  if (result.version !== BENCH_RESULT_VERSION) return undefined;
  const ours = result.results.find((m) => m.mode === 'pubsub' && !m.error);
  const one = result.results.find((m) => m.mode === 'single-node' && !m.error);
  if (!ours?.idle || ours.workloads.length < 2 || !one || one.workloads.length < 2) return undefined;
  // Per delivery, CPU = perMessage / roomSize + perDelivery: two room sizes give both terms.
  const fit = (workloads: WorkloadResult[], nodes: number) => {
    const [p, q] = workloads.map((w) => {
      const win = representative(w, nodes);
      return { s: w.roomSize, c: (win.nodeCores * win.seconds * 1e6) / win.delivered, win };
    });
    const perMessage = (q.c - p.c) / (1 / q.s - 1 / p.s);
    return { perMessage, perDelivery: p.c - perMessage / p.s, wins: [p.win, q.win] };
  };
  const pubsub = fit(ours.workloads, ours.nodes);
  const single = fit(one.workloads, 1);
  if (!(pubsub.perMessage > 0 && pubsub.perDelivery > 0 && single.perMessage > 0)) return undefined;
  // On N nodes every node decodes every message: the difference to one node is N receives.
  const perReceive = Math.max(0, (pubsub.perMessage - single.perMessage) / ours.nodes);
  const small = pubsub.wins.reduce((a, b) => (a.sent / a.seconds > b.sent / b.seconds ? a : b));
  const redisUs = (small.redisCores * 1e6) / (small.sent / small.seconds);
  const baseRssMB = ours.workloads[0].fixed.nodeRssMB / ours.nodes;
  return {
    source,
    nodeUsPerMessage: round(single.perMessage, 2),
    nodeUsPerReceive: round(perReceive, 2),
    nodeUsPerDelivery: round(pubsub.perDelivery, 2),
    // Redis scaled to its "2 subscribers" reference when the bench ran another node count.
    redisUsPerMessage2: round((redisUs * 3) / (1 + ours.nodes), 2),
    // Below the noise (null) counts as the 1 KB floor, as a tiny figure would.
    heapPerConnKB: round(Math.max(1, (ours.idle.heapPerConnB ?? 0) / 1024), 2),
    baseRssMB: round(baseRssMB, 0),
  };
}

/** The newest full (not --quick) .bench/*.json that yields figures, else the newest quick one, else the defaults. */
export function latestFigures(dir = '.bench'): Figures {
  let files: string[] = [];
  try {
    files = readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => join(dir, f))
      .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  } catch {
    return DEFAULT_FIGURES;
  }
  const results: Array<{ file: string; result: BenchResult }> = [];
  for (const file of files) {
    try {
      results.push({ file, result: JSON.parse(readFileSync(file, 'utf8')) as BenchResult });
    } catch {
      // Not JSON: not ours.
    }
  }
  // Sub-second quick windows give coarse CPU figures: a full run is preferred however old.
  for (const quick of [false, true]) {
    for (const { file, result } of results) {
      if (Boolean(result.options?.quick) !== quick) continue;
      const figures = figuresFromBench(result, file);
      if (figures) return figures;
    }
  }
  return DEFAULT_FIGURES;
}
