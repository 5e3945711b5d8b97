import { GetMetricDataCommand, type CloudWatchClient, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { METRICS_NAMESPACE, SERVICE_DIMENSION, SERVICE_METRICS } from '../contract/metrics';
import { cacheMemberIds as memberIdsOf, cacheNodeDimensions, SERVICE_STACK_OUTPUTS } from '../contract/stack';
import { getStackOutputs, type OncallClients } from './aws';
import { chartLine, type Series } from './chart';
import { formatUtc } from './format';

/** The service stack's outputs this command reads (their ids come from the contract). */
const { replicationGroupId, numCacheClusters, cacheMemberIds, ecsClusterName, ecsServiceName, metricsServiceName } = SERVICE_STACK_OUTPUTS;
export const OUTPUT_KEYS = { replicationGroupId, numCacheClusters, cacheMemberIds, ecsClusterName, ecsServiceName, metricsServiceName };

/** Points per chart; the period grows with --hours to keep lines this wide. */
export const MAX_POINTS = 60;
export const DEFAULT_HOURS = 3;

interface LinePlan {
  label: string;
  id: string;
  /** Left out when it has no datapoints (e.g. read/write latency on a pub/sub-only cluster). */
  optional?: boolean;
}

interface SectionPlan {
  title: string;
  unit?: string;
  lines: LinePlan[];
}

export interface MetricsPlan {
  sections: SectionPlan[];
  queries: MetricDataQuery[];
  /** One line per chart that cannot be drawn, naming the missing output. */
  skipped: string[];
}

export function periodFor(hours: number): number {
  return Math.max(60, Math.ceil((hours * 3600) / MAX_POINTS / 60) * 60);
}

export function planQueries(outputs: ReadonlyMap<string, string>, period: number): MetricsPlan {
  const queries: MetricDataQuery[] = [];
  const sections: SectionPlan[] = [];
  const skipped: string[] = [];
  const nextId = () => `q${queries.length}`;
  const stat = (namespace: string, metricName: string, dims: Record<string, string>, statName: string, returnData = true) => {
    const id = nextId();
    queries.push({
      Id: id,
      ReturnData: returnData,
      MetricStat: {
        Metric: {
          Namespace: namespace,
          MetricName: metricName,
          Dimensions: Object.entries(dims).map(([Name, Value]) => ({ Name, Value })),
        },
        Period: period,
        Stat: statName,
      },
    });
    return id;
  };
  const need = (chart: string, ...keys: string[]): string[] | undefined => {
    const missing = keys.filter((k) => !outputs.get(k));
    if (missing.length === 0) return keys.map((k) => outputs.get(k) as string);
    skipped.push(`skipped ${chart}: stack output ${missing.join(', ')} missing`);
    return undefined;
  };

  const redisMembers = (): string[] | undefined => {
    const listed =
      outputs
        .get(OUTPUT_KEYS.cacheMemberIds)
        ?.split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '') ?? [];
    if (listed.length > 0) return listed;
    const redis = need('Redis charts', OUTPUT_KEYS.replicationGroupId, OUTPUT_KEYS.numCacheClusters);
    if (!redis) return undefined;
    const [groupId, countText] = redis;
    const count = Number(countText);
    if (Number.isInteger(count) && count >= 1 && count <= 99) return memberIdsOf(groupId, count);
    skipped.push(`skipped Redis charts: stack output ${OUTPUT_KEYS.numCacheClusters} is "${countText}", not a node count`);
    return undefined;
  };
  const members = redisMembers();
  if (members) {
    const latency: LinePlan[] = [];
    const kinds = [
      { metric: 'PubSubBasedCmdsLatency', label: 'pub/sub', optional: false },
      { metric: 'SuccessfulReadRequestLatency', label: 'read', optional: true },
      { metric: 'SuccessfulWriteRequestLatency', label: 'write', optional: true },
    ];
    for (const member of members) {
      for (const k of kinds) {
        const id = stat('AWS/ElastiCache', k.metric, cacheNodeDimensions(member), 'Average');
        latency.push({ label: `${k.label} ${member}`, id, optional: k.optional });
      }
    }
    sections.push({ title: 'Redis latency (µs, Average)', unit: 'µs', lines: latency });
    sections.push({
      title: 'Redis EngineCPUUtilization (%, Average)',
      unit: '%',
      lines: members.map((member) => ({
        label: member,
        id: stat('AWS/ElastiCache', 'EngineCPUUtilization', cacheNodeDimensions(member), 'Average'),
      })),
    });
  }

  const service = need('connected clients', OUTPUT_KEYS.metricsServiceName);
  if (service) {
    const dims = { [SERVICE_DIMENSION]: service[0] };
    const name = SERVICE_METRICS.connectedClients.name;
    const sum = stat(METRICS_NAMESPACE, name, dims, 'Sum', false);
    // Each task publishes one gauge datapoint a minute, so Sum per minute is the total across tasks;
    // dividing by the minutes in the period keeps that true for longer periods.
    const totalId = nextId();
    queries.push({ Id: totalId, Expression: `${sum} / (PERIOD(${sum}) / 60)`, ReturnData: true });
    const perTask = stat(METRICS_NAMESPACE, name, dims, 'Average');
    sections.push({
      title: `${name} (${METRICS_NAMESPACE}, ${SERVICE_DIMENSION}=${service[0]})`,
      lines: [
        { label: 'total across tasks', id: totalId },
        { label: 'average per task', id: perTask },
      ],
    });
  }

  const ecs = need('ECS task count', OUTPUT_KEYS.ecsClusterName, OUTPUT_KEYS.ecsServiceName);
  if (ecs) {
    const [ClusterName, ServiceName] = ecs;
    sections.push({
      title: `ECS RunningTaskCount (${ClusterName}/${ServiceName})`,
      lines: [{ label: 'running tasks', id: stat('ECS/ContainerInsights', 'RunningTaskCount', { ClusterName, ServiceName }, 'Average') }],
    });
  }
  return { sections, queries, skipped };
}

/** GetMetricData takes at most 500 queries per call. */
const QUERIES_PER_CALL = 500;

/** Values per query id, one slot per period from `start`; null where there is no datapoint. */
export async function fetchSeries(
  cw: CloudWatchClient,
  queries: readonly MetricDataQuery[],
  start: Date,
  end: Date,
  period: number,
): Promise<Map<string, Array<number | null>>> {
  const slots = Math.max(1, Math.round((end.getTime() - start.getTime()) / 1000 / period));
  const series = new Map<string, Array<number | null>>();
  for (const q of queries) if (q.Id) series.set(q.Id, new Array<number | null>(slots).fill(null));
  // Expressions must travel with the queries they reference, so batches only split very large plans.
  for (let i = 0; i < queries.length; i += QUERIES_PER_CALL) {
    let NextToken: string | undefined;
    do {
      const page = await cw.send(
        new GetMetricDataCommand({
          MetricDataQueries: queries.slice(i, i + QUERIES_PER_CALL),
          StartTime: start,
          EndTime: end,
          ScanBy: 'TimestampAscending',
          NextToken,
        }),
      );
      for (const r of page.MetricDataResults ?? []) {
        const target = r.Id ? series.get(r.Id) : undefined;
        if (!target) continue;
        (r.Timestamps ?? []).forEach((ts, j) => {
          const slot = Math.floor((ts.getTime() - start.getTime()) / 1000 / period);
          const v = r.Values?.[j];
          if (slot >= 0 && slot < slots && v !== undefined) target[slot] = v;
        });
      }
      NextToken = page.NextToken;
    } while (NextToken);
  }
  return series;
}

export function renderMetrics(header: string, plan: MetricsPlan, series: ReadonlyMap<string, Series>): string[] {
  const out = [header];
  const drawn = plan.sections.map((s) => ({
    ...s,
    lines: s.lines.filter((l) => !l.optional || (series.get(l.id) ?? []).some((v) => v !== null)),
  }));
  const labelWidth = Math.max(0, ...drawn.flatMap((s) => s.lines.map((l) => l.label.length)));
  for (const s of drawn) {
    out.push('', s.title);
    for (const l of s.lines) out.push(`  ${chartLine(l.label, series.get(l.id) ?? [], { labelWidth, width: MAX_POINTS, unit: s.unit })}`);
  }
  if (plan.skipped.length > 0) out.push('', ...plan.skipped);
  return out;
}

export async function runMetrics(clients: OncallClients, stack: string, hours: number, now: Date): Promise<string[]> {
  const outputs = await getStackOutputs(clients.cloudformation, stack);
  const period = periodFor(hours);
  const periodMs = period * 1000;
  const end = new Date(Math.floor(now.getTime() / periodMs) * periodMs);
  const start = new Date(end.getTime() - Math.ceil((hours * 3600) / period) * periodMs);
  const plan = planQueries(outputs, period);
  const series = plan.queries.length > 0 ? await fetchSeries(clients.cloudwatch, plan.queries, start, end, period) : new Map();
  const header = `${stack}: last ${hours} h, one point per ${period / 60} min, ${formatUtc(start)} to ${formatUtc(end)}`;
  return renderMetrics(header, plan, series);
}
