import { afterEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, GetMetricDataCommand, type MetricDataQuery, type MetricDataResult } from '@aws-sdk/client-cloudwatch';
import { METRICS_NAMESPACE, SERVICE_DIMENSION, SERVICE_METRICS } from '../../contract/metrics';
import { periodFor } from '../../oncall/metrics';
import { fakeClients, NOW, run } from './helpers';

const cfn = mockClient(CloudFormationClient);
const cw = mockClient(CloudWatchClient);
afterEach(() => {
  cfn.reset();
  cw.reset();
});

const ALL_OUTPUTS = {
  ReplicationGroupId: 'sio-dev-redis',
  NumCacheClusters: '2',
  EcsClusterName: 'sio-dev',
  EcsServiceName: 'socketio',
  MetricsServiceName: 'socketio-dev',
};

function stackWith(outputs: Record<string, string>) {
  cfn.on(DescribeStacksCommand).resolves({
    Stacks: [
      {
        StackName: 'socketio-prod-service',
        StackStatus: 'UPDATE_COMPLETE',
        CreationTime: NOW,
        Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
      },
    ],
  });
}

const PERIOD = 180;
const START = NOW.getTime() - 3 * 3600_000;
/** Timestamps of the 60 three-minute slots of the last 3 hours. */
const slot = (i: number) => new Date(START + i * PERIOD * 1000);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Canned datapoints keyed by what a query asks for. */
function cannedFor(q: MetricDataQuery): Pick<MetricDataResult, 'Timestamps' | 'Values'> {
  if (q.Expression) return { Timestamps: range(60).map(slot), Values: range(60).map((i) => (i < 30 ? 400 : 800)) };
  const m = q.MetricStat?.Metric;
  const dim = (name: string) => m?.Dimensions?.find((d) => d.Name === name)?.Value;
  switch (`${m?.MetricName} ${dim('CacheClusterId') ?? ''}`.trim()) {
    case 'PubSubBasedCmdsLatency sio-dev-redis-001':
      return { Timestamps: range(60).map(slot), Values: range(60).map((i) => (i === 59 ? 800 : 100)) };
    case 'SuccessfulWriteRequestLatency sio-dev-redis-001':
      return { Timestamps: [slot(0), slot(59)], Values: [20, 30] };
    case 'EngineCPUUtilization sio-dev-redis-001':
      return { Timestamps: range(60).map(slot), Values: range(60).map(() => 5) };
    case 'EngineCPUUtilization sio-dev-redis-002':
      return { Timestamps: [slot(0), slot(1), slot(58), slot(59)], Values: [10, 10, 20, 20] };
    case `${SERVICE_METRICS.connectedClients.name}`:
      return q.MetricStat?.Stat === 'Average'
        ? { Timestamps: range(60).map(slot), Values: range(60).map(() => 200) }
        : { Timestamps: [], Values: [] };
    case 'RunningTaskCount':
      return { Timestamps: range(60).map(slot), Values: range(60).map((i) => (i < 30 ? 2 : 4)) };
    default:
      return { Timestamps: [], Values: [] };
  }
}

describe('oncall metrics', () => {
  it('queries each Redis member, the service metric and ECS, and draws one sparkline per series', async () => {
    stackWith(ALL_OUTPUTS);
    cw.on(GetMetricDataCommand).callsFake((input: { MetricDataQueries: MetricDataQuery[]; NextToken?: string }) => {
      const results = input.MetricDataQueries.map((q) => ({ Id: q.Id, StatusCode: 'Complete', ...cannedFor(q) }));
      // Two pages; the ECS series is split across them, as CloudWatch may do.
      const ecs = results.find((_r, i) => input.MetricDataQueries[i].MetricStat?.Metric?.MetricName === 'RunningTaskCount');
      if (!ecs) throw new Error('no ECS query');
      if (!input.NextToken) {
        return {
          MetricDataResults: [
            ...results.filter((r) => r !== ecs),
            { ...ecs, Timestamps: ecs.Timestamps?.slice(0, 30), Values: ecs.Values?.slice(0, 30) },
          ],
          NextToken: 'page-2',
        };
      }
      return { MetricDataResults: [{ ...ecs, Timestamps: ecs.Timestamps?.slice(30), Values: ecs.Values?.slice(30) }] };
    });

    const r = await run(['metrics'], { clients: fakeClients() });
    expect(r.err).toBe('');
    expect(r.code).toBe(0);

    const calls = cw.commandCalls(GetMetricDataCommand).map((c) => c.args[0].input);
    expect(calls).toHaveLength(2);
    expect(calls[1].NextToken).toBe('page-2');
    expect(calls[0]).toMatchObject({ StartTime: new Date(START), EndTime: NOW, ScanBy: 'TimestampAscending' });
    const queries = calls[0].MetricDataQueries ?? [];
    const stats = queries.filter((q) => q.MetricStat).map((q) => q.MetricStat);
    expect(stats.every((s) => s?.Period === PERIOD)).toBe(true);
    const describe = (s: (typeof stats)[number]) => {
      const dimensions = (s?.Metric?.Dimensions ?? []).map((d) => `${d.Name}=${d.Value}`).join(',');
      return `${s?.Metric?.Namespace} ${s?.Metric?.MetricName} ${s?.Stat} ${dimensions}`;
    };
    expect(stats.map(describe)).toEqual([
      ...['001', '002'].flatMap((n) => [
        `AWS/ElastiCache PubSubBasedCmdsLatency Average CacheClusterId=sio-dev-redis-${n},CacheNodeId=0001`,
        `AWS/ElastiCache SuccessfulReadRequestLatency Average CacheClusterId=sio-dev-redis-${n},CacheNodeId=0001`,
        `AWS/ElastiCache SuccessfulWriteRequestLatency Average CacheClusterId=sio-dev-redis-${n},CacheNodeId=0001`,
      ]),
      'AWS/ElastiCache EngineCPUUtilization Average CacheClusterId=sio-dev-redis-001,CacheNodeId=0001',
      'AWS/ElastiCache EngineCPUUtilization Average CacheClusterId=sio-dev-redis-002,CacheNodeId=0001',
      `${METRICS_NAMESPACE} ${SERVICE_METRICS.connectedClients.name} Sum ${SERVICE_DIMENSION}=socketio-dev`,
      `${METRICS_NAMESPACE} ${SERVICE_METRICS.connectedClients.name} Average ${SERVICE_DIMENSION}=socketio-dev`,
      'ECS/ContainerInsights RunningTaskCount Average ClusterName=sio-dev,ServiceName=socketio',
    ]);
    const sum = queries.find((q) => q.MetricStat?.Stat === 'Sum');
    const expression = queries.find((q) => q.Expression);
    expect(sum?.ReturnData).toBe(false);
    expect(expression?.Expression).toBe(`${sum?.Id} / (PERIOD(${sum?.Id}) / 60)`);

    const flat = '▁'.repeat(60);
    const half = '▁'.repeat(30) + '█'.repeat(30);
    expect(r.lines).toEqual([
      'socketio-prod-service: last 3 h, one point per 3 min, 2026-03-10 09:00:00Z to 2026-03-10 12:00:00Z',
      'Redis latency (µs, Average)',
      `  pub/sub sio-dev-redis-001  ${'▁'.repeat(59)}█  min 100µs  max 800µs  last 800µs`,
      `  write sio-dev-redis-001    ▁${' '.repeat(58)}█  min 20µs  max 30µs  last 30µs`,
      '  pub/sub sio-dev-redis-002  no data',
      'Redis EngineCPUUtilization (%, Average)',
      `  sio-dev-redis-001          ${flat}  min 5%  max 5%  last 5%`,
      `  sio-dev-redis-002          ▁▁${' '.repeat(56)}██  min 10%  max 20%  last 20%`,
      `${SERVICE_METRICS.connectedClients.name} (${METRICS_NAMESPACE}, ${SERVICE_DIMENSION}=socketio-dev)`,
      `  total across tasks         ${half}  min 400  max 800  last 800`,
      `  average per task           ${flat}  min 200  max 200  last 200`,
      'ECS RunningTaskCount (sio-dev/socketio)',
      `  running tasks              ${half}  min 2  max 4  last 4`,
    ]);
  });

  it('names each missing stack output and skips only the charts that need it', async () => {
    stackWith({ MetricsServiceName: 'socketio-dev', EcsClusterName: 'sio-dev' });
    cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
    const r = await run(['metrics', '--hours', '1'], { clients: fakeClients() });
    expect(r.code).toBe(0);
    expect(r.lines.slice(1)).toEqual([
      `${SERVICE_METRICS.connectedClients.name} (${METRICS_NAMESPACE}, ${SERVICE_DIMENSION}=socketio-dev)`,
      '  total across tasks  no data',
      '  average per task    no data',
      'skipped Redis charts: stack output ReplicationGroupId, NumCacheClusters missing',
      'skipped ECS task count: stack output EcsServiceName missing',
    ]);
    const queries = cw.commandCalls(GetMetricDataCommand)[0].args[0].input.MetricDataQueries ?? [];
    expect(queries.every((q) => q.Expression || q.MetricStat?.Metric?.Namespace === METRICS_NAMESPACE)).toBe(true);
  });

  it('makes no GetMetricData call when the stack has none of the outputs', async () => {
    stackWith({ NumCacheClusters: 'two', ReplicationGroupId: 'g' });
    const r = await run(['metrics'], { clients: fakeClients() });
    expect(r.code).toBe(0);
    expect(cw.commandCalls(GetMetricDataCommand)).toHaveLength(0);
    expect(r.lines.slice(1)).toEqual([
      'skipped Redis charts: stack output NumCacheClusters is "two", not a node count',
      'skipped connected clients: stack output MetricsServiceName missing',
      'skipped ECS task count: stack output EcsClusterName, EcsServiceName missing',
    ]);
  });

  it('widens the period with --hours to keep about 60 points', () => {
    expect(periodFor(1)).toBe(60);
    expect(periodFor(3)).toBe(180);
    expect(periodFor(24)).toBe(1440);
    expect(periodFor(0.25)).toBe(60);
  });
});
