/**
 * Facts about ElastiCache nodes that the alarms depend on: vCPUs per node type,
 * the host-CPU threshold derived from them, which engines publish request latency metrics, and
 * which nodes can be a replica.
 */

/** vCPUs by size for the current m/r/c node families (each size step doubles them). */
const VCPUS_BY_SIZE: Readonly<Record<string, number>> = {
  large: 2,
  xlarge: 4,
  '2xlarge': 8,
  '4xlarge': 16,
  '8xlarge': 32,
  '12xlarge': 48,
  '16xlarge': 64,
  '24xlarge': 96,
};
const SIZED_FAMILIES = ['m5', 'm6g', 'm7g', 'r5', 'r6g', 'r6gd', 'r7g', 'c7gn'];
/** Burstable types, listed one by one: t2's small sizes have a single vCPU. */
const BURSTABLE_VCPUS: Readonly<Record<string, number>> = {
  't2.micro': 1,
  't2.small': 1,
  't2.medium': 2,
  't3.micro': 2,
  't3.small': 2,
  't3.medium': 2,
  't4g.micro': 2,
  't4g.small': 2,
  't4g.medium': 2,
};

/** vCPUs of `cache.<family>.<size>`, or undefined for a type the table does not know. */
export function cacheNodeVcpus(nodeType: string): number | undefined {
  const m = /^cache\.([a-z0-9]+)\.([a-z0-9]+)$/.exec(nodeType);
  if (!m) return undefined;
  const [, family, size] = m;
  if (SIZED_FAMILIES.includes(family)) return VCPUS_BY_SIZE[size];
  return BURSTABLE_VCPUS[`${family}.${size}`];
}

/** Share of one core the engine thread may use before the host-CPU alarm fires, percent. */
export const HOST_CPU_BUDGET_PERCENT = 90;

/**
 * Host CPUUtilization threshold for a node with `vcpus`. The engine runs commands on one thread,
 * so on a node with 2 vCPUs or fewer (where AWS advises watching host CPU) a saturated engine
 * shows as 1/vCPUs of the host: 90 % of one core is 90 / vCPUs (45 % on 2 vCPUs). Larger nodes
 * run TLS and network I/O on the other cores, so their host CPU means "the whole host is busy";
 * the engine thread there is watched by EngineCPUUtilization.
 */
export function hostCpuThresholdPercent(vcpus: number): number {
  return vcpus <= 2 ? Math.round((HOST_CPU_BUDGET_PERCENT / vcpus) * 10) / 10 : HOST_CPU_BUDGET_PERCENT;
}

/**
 * Whether the engine publishes SuccessfulReadRequestLatency / SuccessfulWriteRequestLatency:
 * Valkey 7.2 and later, Redis OSS 7.0.7 and later. A bare "7.0" (any patch) counts as no.
 */
export function hasRequestLatencyMetrics(engine: string, engineVersion: string): boolean {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?$/.exec(engineVersion);
  if (!m) return false;
  const [major, minor, patch] = [Number(m[1]), Number(m[2]), m[3] === undefined ? undefined : Number(m[3])];
  const atLeast = (ma: number, mi: number, pa = 0) =>
    major !== ma ? major > ma : minor !== mi ? minor > mi : pa === 0 || (patch !== undefined && patch >= pa);
  if (engine === 'valkey') return atLeast(7, 2);
  if (engine === 'redis') return atLeast(7, 0, 7);
  return false;
}

/**
 * The members that can be a replica: every member of a shard (or of a group without shards) that
 * has more than one. A failover promotes a replica and makes the old primary a replica, so roles
 * move between the ids; only a lone node is never one. Member ids end in -NNN after their shard's
 * prefix (contract/stack.ts cacheMemberIds).
 */
export function replicaCapableMembers(memberIds: readonly string[]): Set<string> {
  const shard = (member: string) => member.replace(/-\d{3}$/, '');
  const size = new Map<string, number>();
  for (const m of memberIds) size.set(shard(m), (size.get(shard(m)) ?? 0) + 1);
  return new Set(memberIds.filter((m) => (size.get(shard(m)) ?? 0) > 1));
}
