import { type CapacityPlan, DEFAULT_FIGURES } from './capacity';

const n = (x: number) => x.toLocaleString('en-US');
const usd = (x: number) => `$${n(x)}`;
const pct = (fraction: number) => `${Math.round(fraction * 100)} %`;

/** What `npm run capacity` prints without --json. */
export function formatPlan(plan: CapacityPlan): string {
  const { input, tasks, redis, monthlyUsd: cost, figures: f } = plan;
  return [
    `load: ${n(input.connections)} connections, ${n(input.msgRate)} msg/s, rooms of ${input.roomSize} → ` +
      `${n(plan.deliveriesPerS)} deliveries/s`,
    `tasks: ${tasks.count} x Fargate ${tasks.vcpu} vCPU / ${tasks.memoryGB} GB (ARM64), ` +
      `~${n(tasks.connectionsPerTask)} connections and ${pct(tasks.cpuUtilization)} CPU each, sized by ${tasks.limitedBy}`,
    `adapter: ADAPTER=${plan.adapter}`,
    `redis: ${redis.mode}, ${redis.shards} shard(s) x ${redis.nodes / redis.shards} nodes = ${redis.nodes} x ${redis.nodeType}; ` +
      `busiest primary ~${pct(redis.primaryCpuUtilization)} CPU, ${redis.primaryNetworkMBps} MB/s` +
      (input.idempotentPublishRate > 0
        ? `, idempotency keys ${n(redis.idempotencyMB)} MB (${n(input.idempotentPublishRate)}/s ` +
          `for ${input.idempotencyWindowMs / 1000} s, ~${pct(redis.primaryMemoryUtilization)} of a primary's memory)`
        : ''),
    `monthly (us-east-1 on-demand, prices as of ${plan.pricesAsOf}): Fargate ${usd(cost.fargate)} + ElastiCache ${usd(cost.redis)} + ` +
      `ALB ${usd(cost.alb)} + egress ${usd(cost.egress)} = ${usd(cost.total)}`,
    `per-task figures (${f.source}${f === DEFAULT_FIGURES ? '' : ', measured'}): ${f.nodeUsPerMessage} µs/message, ` +
      `${f.nodeUsPerReceive} µs/receive per node, ${f.nodeUsPerDelivery} µs/delivery, redis ${f.redisUsPerMessage2} µs/message, ` +
      `${f.heapPerConnKB} KB heap/connection, ${f.baseRssMB} MB base`,
    'assumptions:',
    ...plan.assumptions.map((a) => `  - ${a}`),
  ].join('\n');
}
