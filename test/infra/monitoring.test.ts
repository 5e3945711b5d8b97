import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../infra/config';
import { MAX_DESCRIPTION_CHARS, RUNBOOK_SLUGS } from '../../infra/monitoring-descriptions';
import { OUTPUT_KEYS } from '../../oncall/metrics';
import { extractRunbook } from '../../oncall/status';
import { METRICS_NAMESPACE, SERVICE_DIMENSION, SERVICE_METRICS } from '../../contract/metrics';
import { cleanup, docTable, onlyResource, ROOT, synth, Synthesized, PROD } from './helpers';

let dev: Synthesized;
let prod: Synthesized;

beforeAll(() => {
  dev = synth({
    alarmEmails: 'oncall@example.com',
    alarmHttpsEndpoints: 'https://events.pager.example.com/integration/abc',
    warningEmails: 'team@example.com,ops@example.com',
    warningHttpsEndpoints: 'https://chat.example.com/hooks/warn',
  });
  prod = synth({ ...PROD });
});
afterAll(cleanup);

type Props = Record<string, unknown>;
const resources = (t: Template, type: string) => Object.entries(t.findResources(type)) as [string, { Properties: Props }][];
const MIB = 1024 * 1024;

/** Renders Fn::Join / Ref / Fn::GetAtt to a plain string with ${Logical.Attr} placeholders. */
function render(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  const v = value as Record<string, unknown>;
  if ('Fn::Join' in v) {
    const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map(render).join(sep);
  }
  if ('Ref' in v) return `\${${v.Ref as string}}`;
  if ('Fn::GetAtt' in v) return `\${${(v['Fn::GetAtt'] as string[]).join('.')}}`;
  throw new Error(`cannot render ${JSON.stringify(value)}`);
}

function topicIds(t: Template): { paging: string; warnings: string } {
  const find = (suffix: string) => {
    const hit = resources(t, 'AWS::SNS::Topic').find(([, r]) => (r.Properties.DisplayName as string).endsWith(suffix));
    if (!hit) throw new Error(`no ${suffix} topic`);
    return hit[0];
  };
  return { paging: find(' paging'), warnings: find(' warnings') };
}

/** What ElastiCache publishes a node's metrics under: its member id and its one node, 0001 (docs/operations.md). */
const cacheDims = (id: string) => [
  { Name: 'CacheClusterId', Value: id },
  { Name: 'CacheNodeId', Value: '0001' },
];
const ecsDims = [
  { Name: 'ClusterName', Value: { Ref: Match.stringLikeRegexp('Cluster') } },
  { Name: 'ServiceName', Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('Service'), 'Name'] } },
];
const lbDim = { Name: 'LoadBalancer', Value: { 'Fn::GetAtt': [Match.anyValue(), 'LoadBalancerFullName'] } };
const tgDim = { Name: 'TargetGroup', Value: { 'Fn::GetAtt': [Match.anyValue(), 'TargetGroupFullName'] } };

interface Expected {
  suffix: string;
  namespace: string;
  metric: string;
  statistic: string;
  threshold: number;
  op?: 'GreaterThanThreshold' | 'LessThanThreshold';
  periods: number;
  datapoints: number;
  missing: 'missing' | 'notBreaching' | 'breaching';
  dims: unknown[];
}

function nodeAlarms(member: string, stage: 'dev' | 'prod'): Expected[] {
  const n = member.slice(-3);
  const ec = (
    suffix: string,
    metric: string,
    statistic: string,
    threshold: number,
    periods: number,
    datapoints: number,
    missing: Expected['missing'],
  ): Expected => ({
    suffix: `${suffix}-${n}`,
    namespace: 'AWS/ElastiCache',
    metric,
    statistic,
    threshold,
    periods,
    datapoints,
    missing,
    dims: cacheDims(member),
  });
  const list = [
    ec('RedisEngineCpuWarning', 'EngineCPUUtilization', 'Average', 80, 5, 5, 'missing'),
    ec('RedisEngineCpuCritical', 'EngineCPUUtilization', 'Average', 90, 3, 3, 'missing'),
    // Both presets' node types (t4g.micro, m7g.large) have 2 vCPUs: 90 / 2.
    ec('RedisHostCpu', 'CPUUtilization', 'Average', 45, 5, 5, 'missing'),
    ec('RedisPubSubLatencyWarning', 'PubSubBasedCmdsLatency', 'Average', 500, 5, 5, 'notBreaching'),
    ec('RedisPubSubLatencyCritical', 'PubSubBasedCmdsLatency', 'Average', 2000, 3, 3, 'notBreaching'),
    // Valkey 8.0 publishes the request latency metrics.
    ec('RedisReadLatency', 'SuccessfulReadRequestLatency', 'Average', 1000, 5, 5, 'notBreaching'),
    ec('RedisWriteLatency', 'SuccessfulWriteRequestLatency', 'Average', 1000, 5, 5, 'notBreaching'),
    ec('RedisMemory', 'DatabaseMemoryUsagePercentage', 'Maximum', 80, 5, 5, 'missing'),
    // maxTasks × 2 (deploys) × 3 clients + 50.
    ec('RedisConnections', 'CurrConnections', 'Maximum', stage === 'prod' ? 10 * 2 * 3 + 50 : 2 * 2 * 3 + 50, 5, 5, 'missing'),
    ec('RedisEvictions', 'Evictions', 'Sum', 0, 1, 1, 'notBreaching'),
    ec('RedisShapedPackets', 'NetworkBandwidthOutAllowanceExceeded', 'Sum', 0, 5, 3, 'notBreaching'),
    ec('RedisSwap', 'SwapUsage', 'Maximum', 50 * MIB, 5, 5, 'missing'),
  ];
  // Prod's three members can each be a replica (a failover demotes the primary); dev's lone node cannot.
  if (stage === 'prod') list.push(ec('RedisReplicationLag', 'ReplicationLag', 'Maximum', 10, 5, 5, 'notBreaching'));
  return list;
}

function serviceAlarms(stage: 'dev' | 'prod'): Expected[] {
  const svc = [{ Name: SERVICE_DIMENSION, Value: `socketio-${stage}` }];
  const fiveXx = stage === 'prod' ? 25 : 10;
  return [
    {
      suffix: 'TaskCpu',
      namespace: 'AWS/ECS',
      metric: 'CPUUtilization',
      statistic: 'Average',
      threshold: 80,
      periods: 5,
      datapoints: 5,
      missing: 'notBreaching',
      dims: ecsDims,
    },
    {
      suffix: 'TaskMemory',
      namespace: 'AWS/ECS',
      metric: 'MemoryUtilization',
      statistic: 'Average',
      threshold: 80,
      periods: 5,
      datapoints: 5,
      missing: 'notBreaching',
      dims: ecsDims,
    },
    {
      suffix: 'RunningTasksBelowMin',
      namespace: 'ECS/ContainerInsights',
      metric: 'RunningTaskCount',
      statistic: 'Minimum',
      threshold: stage === 'prod' ? 2 : 1,
      op: 'LessThanThreshold',
      periods: 3,
      datapoints: 3,
      missing: 'breaching',
      dims: ecsDims,
    },
    {
      suffix: 'UnhealthyTargets',
      namespace: 'AWS/ApplicationELB',
      metric: 'UnHealthyHostCount',
      statistic: 'Maximum',
      threshold: 0,
      periods: 5,
      datapoints: 5,
      missing: 'notBreaching',
      dims: [lbDim, tgDim],
    },
    {
      suffix: 'NoHealthyTargets',
      namespace: 'AWS/ApplicationELB',
      metric: 'HealthyHostCount',
      statistic: 'Minimum',
      threshold: 1,
      op: 'LessThanThreshold',
      periods: 2,
      datapoints: 2,
      missing: 'breaching',
      dims: [lbDim, tgDim],
    },
    {
      suffix: 'Elb5xx',
      namespace: 'AWS/ApplicationELB',
      metric: 'HTTPCode_ELB_5XX_Count',
      statistic: 'Sum',
      threshold: fiveXx,
      periods: 5,
      datapoints: 3,
      missing: 'notBreaching',
      dims: [lbDim],
    },
    {
      suffix: 'Target5xx',
      namespace: 'AWS/ApplicationELB',
      metric: 'HTTPCode_Target_5XX_Count',
      statistic: 'Sum',
      threshold: fiveXx,
      periods: 5,
      datapoints: 3,
      missing: 'notBreaching',
      dims: [lbDim, tgDim],
    },
    {
      suffix: 'RejectedConnections',
      namespace: 'AWS/ApplicationELB',
      metric: 'RejectedConnectionCount',
      statistic: 'Sum',
      threshold: 0,
      periods: 5,
      datapoints: 1,
      missing: 'notBreaching',
      dims: [lbDim],
    },
    {
      suffix: 'RedisAdapterErrors',
      namespace: METRICS_NAMESPACE,
      metric: SERVICE_METRICS.redisAdapterErrors.name,
      statistic: SERVICE_METRICS.redisAdapterErrors.statistic,
      threshold: 10,
      periods: 5,
      datapoints: 3,
      missing: 'notBreaching',
      dims: svc,
    },
    {
      suffix: 'EventLoopDelay',
      namespace: METRICS_NAMESPACE,
      metric: SERVICE_METRICS.eventLoopDelayP99.name,
      statistic: SERVICE_METRICS.eventLoopDelayP99.statistic,
      threshold: 200,
      periods: 5,
      datapoints: 3,
      missing: 'notBreaching',
      dims: svc,
    },
    {
      suffix: 'Api5xx',
      namespace: METRICS_NAMESPACE,
      metric: SERVICE_METRICS.apiRequests5xx.name,
      statistic: SERVICE_METRICS.apiRequests5xx.statistic,
      threshold: 5,
      periods: 5,
      datapoints: 3,
      missing: 'notBreaching',
      dims: svc,
    },
    {
      suffix: 'ApiUnauthorized',
      namespace: METRICS_NAMESPACE,
      metric: SERVICE_METRICS.apiRequestsUnauthorized.name,
      statistic: SERVICE_METRICS.apiRequestsUnauthorized.statistic,
      threshold: 30,
      periods: 5,
      datapoints: 3,
      missing: 'notBreaching',
      dims: svc,
    },
    {
      suffix: 'ApiThrottled',
      namespace: METRICS_NAMESPACE,
      metric: SERVICE_METRICS.apiRequestsThrottled.name,
      statistic: SERVICE_METRICS.apiRequestsThrottled.statistic,
      threshold: 10,
      periods: 5,
      datapoints: 3,
      missing: 'notBreaching',
      dims: svc,
    },
    {
      suffix: 'ApiPublishLatency',
      namespace: METRICS_NAMESPACE,
      metric: SERVICE_METRICS.apiPublishLatency.name,
      statistic: SERVICE_METRICS.apiPublishLatency.statistic,
      threshold: 250,
      periods: 5,
      datapoints: 3,
      missing: 'notBreaching',
      dims: svc,
    },
    {
      suffix: 'PresenceTimeouts',
      namespace: METRICS_NAMESPACE,
      metric: SERVICE_METRICS.presenceQueryTimeouts.name,
      statistic: SERVICE_METRICS.presenceQueryTimeouts.statistic,
      threshold: 0,
      periods: 5,
      datapoints: 3,
      missing: 'notBreaching',
      dims: svc,
    },
  ];
}

const STAGES = [
  ['dev', () => dev, ['socketio-dev-001']],
  ['prod', () => prod, ['socketio-prod-001', 'socketio-prod-002', 'socketio-prod-003']],
] as const;

describe.each(STAGES)('monitoring (%s)', (stage, get, members) => {
  const prefix = `socketio-${stage}-service`;
  const expected = () => [...members.flatMap((m) => nodeAlarms(m, stage)), ...serviceAlarms(stage)];

  it('has exactly the expected metric alarms', () => {
    const names = resources(get().service, 'AWS::CloudWatch::Alarm').map(([, r]) => r.Properties.AlarmName as string);
    expect(names.sort()).toEqual(
      expected()
        .map((e) => `${prefix}-${e.suffix}`)
        .sort(),
    );
  });

  it('defines each alarm with its metric, statistic, dimensions, threshold, periods and missing-data rule, warning both ways', () => {
    const t = get().service;
    const { warnings } = topicIds(t);
    for (const e of expected()) {
      t.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: `${prefix}-${e.suffix}`,
        Namespace: e.namespace,
        MetricName: e.metric,
        // Percentiles are extended statistics.
        ...(e.statistic === 'p99' ? { ExtendedStatistic: e.statistic } : { Statistic: e.statistic }),
        Dimensions: e.dims,
        Period: 60,
        Threshold: e.threshold,
        ComparisonOperator: e.op ?? 'GreaterThanThreshold',
        EvaluationPeriods: e.periods,
        DatapointsToAlarm: e.datapoints,
        TreatMissingData: e.missing,
        AlarmActions: [{ Ref: warnings }],
        OKActions: [{ Ref: warnings }],
      });
    }
  });

  it('puts replication lag on every node that can become a replica: all members of a group with replicas, none on a lone node', () => {
    const lag = resources(get().service, 'AWS::CloudWatch::Alarm').filter(([, r]) => r.Properties.MetricName === 'ReplicationLag');
    const ids = lag.map(([, r]) => (r.Properties.Dimensions as { Value: string }[])[0].Value);
    expect(ids).toEqual(members.length > 1 ? [...members] : []);
  });

  it('names on every ElastiCache alarm and dashboard line the dimensions ElastiCache publishes: CacheClusterId and CacheNodeId', () => {
    const t = get().service;
    const cache = resources(t, 'AWS::CloudWatch::Alarm').filter(([, r]) => r.Properties.Namespace === 'AWS/ElastiCache');
    expect(cache.length).toBeGreaterThan(0);
    for (const [, r] of cache) {
      const dims = r.Properties.Dimensions as { Name: string; Value: string }[];
      expect(dims, r.Properties.AlarmName as string).toEqual(cacheDims(dims[0].Value));
      expect(members).toContain(dims[0].Value);
    }
    const body = render(onlyResource(t, 'AWS::CloudWatch::Dashboard').Properties.DashboardBody);
    const lines = [...body.matchAll(/\["AWS\/ElastiCache","(\w+)",([^\]]*)\]/g)];
    expect(lines.length).toBeGreaterThan(0);
    for (const [line, , rest] of lines) expect(rest, line).toMatch(/^"CacheClusterId","[^"]+","CacheNodeId","0001",\{/);
  });

  it('lists in docs/operations.md the namespace and dimensions of every metric an alarm reads', () => {
    const rows = docTable('operations.md', '### Where the alarms read their metrics');
    for (const [, r] of resources(get().service, 'AWS::CloudWatch::Alarm')) {
      const { Namespace, MetricName } = r.Properties as { Namespace: string; MetricName: string };
      const row = rows.find((x) => x.namespace === `\`${Namespace}\`` && x.metrics.split(', ').includes(`\`${MetricName}\``));
      expect(row, `${Namespace} ${MetricName}`).toBeDefined();
      const names = (r.Properties.Dimensions as { Name: string }[]).map((d) => `\`${d.Name}\``).join(', ');
      expect(row!.dimensions, `${Namespace} ${MetricName}`).toBe(names);
    }
  });

  it('pages with one composite alarm over the critical children, alarm and OK to the paging topic', () => {
    const t = get().service;
    const { paging } = topicIds(t);
    const composites = resources(t, 'AWS::CloudWatch::CompositeAlarm');
    expect(composites).toHaveLength(1);
    const [, composite] = composites[0];
    expect(composite.Properties).toMatchObject({
      AlarmName: `${prefix}-ServiceImpaired`,
      AlarmActions: [{ Ref: paging }],
      OKActions: [{ Ref: paging }],
    });
    const alarmIds = Object.fromEntries(
      resources(t, 'AWS::CloudWatch::Alarm').map(([id, r]) => [(r.Properties.AlarmName as string).slice(prefix.length + 1), id]),
    );
    const children = [
      'RunningTasksBelowMin',
      'Elb5xx',
      'NoHealthyTargets',
      ...members.map((m) => `RedisEngineCpuCritical-${m.slice(-3)}`),
      ...members.map((m) => `RedisPubSubLatencyCritical-${m.slice(-3)}`),
    ];
    expect(render(composite.Properties.AlarmRule)).toBe(`(${children.map((c) => `ALARM("\${${alarmIds[c]}.Arn}")`).join(' OR ')})`);
    expect(composite.Properties.AlarmDescription).toMatch(/^PAGING: /);
    // Nothing else pages.
    for (const [, r] of resources(t, 'AWS::CloudWatch::Alarm')) {
      expect(r.Properties.AlarmActions).not.toContainEqual({ Ref: paging });
      expect(r.Properties.AlarmDescription).toMatch(/^WARNING: /);
    }
  });

  it("describes every alarm within CloudWatch's limit, ending with a runbook that exists", () => {
    const t = get().service;
    const all = [...resources(t, 'AWS::CloudWatch::Alarm'), ...resources(t, 'AWS::CloudWatch::CompositeAlarm')];
    for (const [, r] of all) {
      const description = r.Properties.AlarmDescription as string;
      expect(typeof description).toBe('string');
      expect(description.length).toBeLessThanOrEqual(MAX_DESCRIPTION_CHARS);
      const lines = description.split('\n');
      expect(lines.at(-1)).toMatch(/^Runbook: docs\/runbooks\/[a-z0-9-]+\.md$/);
      expect(lines.some((l) => l.startsWith('Likely causes: '))).toBe(true);
      expect(lines.some((l) => /^First checks: 1\) .+ 2\) .+ 3\) .+/.test(l))).toBe(true);
      const runbook = extractRunbook(description);
      expect(runbook).toBe(lines.at(-1)?.slice('Runbook: '.length));
      expect(existsSync(join(ROOT, runbook as string))).toBe(true);
    }
  });

  it('sends on-call to this stack: every on-call command in an alarm description names its --stack and --region', () => {
    const s = get();
    const commands: string[] = [];
    for (const t of [s.network, s.cache, s.service]) {
      const all = [...resources(t, 'AWS::CloudWatch::Alarm'), ...resources(t, 'AWS::CloudWatch::CompositeAlarm')];
      for (const [, r] of all) {
        const description = r.Properties.AlarmDescription as string;
        const found = [...description.matchAll(/npm run oncall[^`\n]*/g)].map((m) => m[0]);
        // Each command is quoted whole, so that the page shows where it ends.
        expect(found.length, description).toBe([...description.matchAll(/`npm run oncall -- [^`]+`/g)].length);
        commands.push(...found);
      }
    }
    // The paging alarm's first checks run the CLI.
    expect(commands.length).toBeGreaterThanOrEqual(2);
    for (const c of commands) expect(c).toMatch(new RegExp(`^npm run oncall -- \\S.* --stack ${prefix} --region us-east-1$`));
  });

  it('outputs what the on-call CLI reads', () => {
    const outputs = get().service.toJSON().Outputs as Record<string, { Value: unknown }>;
    for (const key of Object.values(OUTPUT_KEYS)) expect(Object.keys(outputs)).toContain(key);
    expect(outputs.ReplicationGroupId.Value).toBe(`socketio-${stage}`);
    expect(outputs.NumCacheClusters.Value).toBe(String(members.length));
    expect(outputs.CacheMemberIds.Value).toBe(members.join(','));
    expect(outputs.MetricsServiceName.Value).toBe(`socketio-${stage}`);
    expect(render(outputs.EcsClusterName.Value)).toMatch(/^\$\{SocketIoCluster[A-Z0-9]+\}$/);
    expect(render(outputs.EcsServiceName.Value)).toMatch(/^\$\{SocketIoService[A-Z0-9]+\.Name\}$/);
  });

  it('has a dashboard with service, Redis per node, task and ALB widgets', () => {
    const dashboards = resources(get().service, 'AWS::CloudWatch::Dashboard');
    expect(dashboards).toHaveLength(1);
    expect(dashboards[0][1].Properties.DashboardName).toBe(prefix);
    const body = render(dashboards[0][1].Properties.DashboardBody);
    const parsed = JSON.parse(body) as { widgets: { properties: { title: string } }[] };
    const titles = parsed.widgets.map((w) => w.properties.title);
    expect(titles).toEqual(
      expect.arrayContaining([
        'Connected clients',
        'Messages per minute',
        'Redis latency (µs, Average)',
        'Redis EngineCPUUtilization (%)',
        'Redis DatabaseMemoryUsagePercentage (%)',
        'Tasks: running vs desired',
        'ALB requests and active connections',
        'ALB 5xx per minute',
        'ALB target response time (s, p99)',
      ]),
    );
    const q = (...parts: string[]) => parts.map((p) => JSON.stringify(p)).join(',');
    const svc = `socketio-${stage}`;
    for (const m of ['connectedClients', 'messagesIn', 'messagesDelivered'] as const) {
      expect(body).toContain(q(METRICS_NAMESPACE, SERVICE_METRICS[m].name, SERVICE_DIMENSION, svc));
    }
    for (const member of members) {
      for (const metric of [
        'PubSubBasedCmdsLatency',
        'EngineCPUUtilization',
        'DatabaseMemoryUsagePercentage',
        'SuccessfulReadRequestLatency',
      ]) {
        expect(body).toContain(q('AWS/ElastiCache', metric, 'CacheClusterId', member, 'CacheNodeId', '0001'));
      }
    }
    expect(body).toMatch(
      /"ECS\/ContainerInsights","RunningTaskCount","ClusterName","\$\{SocketIoCluster\w+\}","ServiceName","\$\{SocketIoService\w+\.Name\}"/,
    );
    expect(body).toMatch(/"ECS\/ContainerInsights","DesiredTaskCount"/);
    for (const metric of ['RequestCount', 'HTTPCode_ELB_5XX_Count', 'ActiveConnectionCount']) {
      expect(body).toMatch(new RegExp(`"AWS/ApplicationELB","${metric}","LoadBalancer","\\$\\{\\w+\\.LoadBalancerFullName\\}"`));
    }
    expect(body).toMatch(/"AWS\/ApplicationELB","TargetResponseTime","LoadBalancer","[^"]+","TargetGroup","[^"]+",\{[^}]*"stat":"p99"/);
  });
});

describe('notification topics', () => {
  it('encrypts both topics with a rotated customer key that CloudWatch may use, and enforces TLS', () => {
    const t = dev.service;
    t.resourceCountIs('AWS::SNS::Topic', 2);
    t.resourceCountIs('AWS::KMS::Key', 1);
    const [keyId] = resources(t, 'AWS::KMS::Key')[0];
    t.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Effect: 'Allow',
          }),
        ]),
      },
    });
    for (const [topicId, r] of resources(t, 'AWS::SNS::Topic')) {
      expect(r.Properties.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
      t.hasResourceProperties('AWS::SNS::TopicPolicy', {
        Topics: [{ Ref: topicId }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
            Match.objectLike({
              Effect: 'Allow',
              Principal: { Service: 'cloudwatch.amazonaws.com' },
              Action: 'sns:Publish',
              Condition: Match.objectLike({ StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } }),
            }),
          ]),
        },
      });
    }
  });

  it('subscribes the configured emails and HTTPS endpoints to the right topic', () => {
    const t = dev.service;
    const { paging, warnings } = topicIds(t);
    const subs = resources(t, 'AWS::SNS::Subscription').map(([, r]) => ({
      topic: (r.Properties.TopicArn as { Ref: string }).Ref,
      protocol: r.Properties.Protocol,
      endpoint: r.Properties.Endpoint,
    }));
    expect(subs).toEqual(
      expect.arrayContaining([
        { topic: paging, protocol: 'email', endpoint: 'oncall@example.com' },
        { topic: paging, protocol: 'https', endpoint: 'https://events.pager.example.com/integration/abc' },
        { topic: warnings, protocol: 'email', endpoint: 'team@example.com' },
        { topic: warnings, protocol: 'email', endpoint: 'ops@example.com' },
        { topic: warnings, protocol: 'https', endpoint: 'https://chat.example.com/hooks/warn' },
      ]),
    );
    expect(subs).toHaveLength(5);
    prod.service.resourceCountIs('AWS::SNS::Subscription', 0);
  });
});

describe('runbooks', () => {
  it('has one file per alarm kind, indexed in the README, each with on-call CLI steps and when to escalate', () => {
    const index = readFileSync(join(ROOT, 'docs', 'runbooks', 'README.md'), 'utf8');
    for (const slug of RUNBOOK_SLUGS) {
      const text = readFileSync(join(ROOT, 'docs', 'runbooks', `${slug}.md`), 'utf8');
      expect(index).toContain(`(${slug}.md)`);
      expect(text).toMatch(/npm run oncall -- (status|metrics)/);
      expect(text).toMatch(/## Escalate/);
    }
  });
});

describe('config validation of the monitoring keys', () => {
  it.each([
    [
      { alarmCacheEngineCpuWarningPercent: '95' },
      /alarmCacheEngineCpuWarningPercent \(95\) must be below alarmCacheEngineCpuCriticalPercent \(90\)/,
    ],
    [{ alarmCacheEngineCpuCriticalPercent: '101' }, /alarmCacheEngineCpuCriticalPercent must be from 1 to 100, got 101/],
    [{ alarmCacheMemoryPercent: '0' }, /alarmCacheMemoryPercent must be from 1 to 100/],
    [{ alarmCacheHostCpuPercent: '150' }, /alarmCacheHostCpuPercent must be from 1 to 100/],
    [
      { alarmCachePubSubLatencyWarningMicros: '3000' },
      /alarmCachePubSubLatencyWarningMicros \(3000\) must be below alarmCachePubSubLatencyCriticalMicros \(2000\)/,
    ],
    [{ alarmTaskCpuPercent: '60' }, /alarmTaskCpuPercent \(60\) must be above targetCpuPercent \(60\)/],
    [{ alarmElb5xxPerMinute: '-1' }, /alarmElb5xxPerMinute must be from 0/],
    [{ alarmUnhealthyTargets: '2' }, /alarmUnhealthyTargets must be from 0 to 1, got 2/],
    [{ alarmEventLoopDelayMs: '20000' }, /alarmEventLoopDelayMs must be from 1 to below pingTimeoutMs \(20000\)/],
    [{ alarmCacheConnectionsMax: '70000' }, /alarmCacheConnectionsMax must be from 1 to 65000/],
    [{ alarmHttpsEndpoints: 'http://insecure.example.com/x' }, /alarmHttpsEndpoints must be comma-separated https:\/\/ URLs/],
    [{ warningEmails: 'not-an-address' }, /warningEmails must be comma-separated email addresses/],
    [{ alarmTaskMemoryPercent: 'high' }, /alarmTaskMemoryPercent must be an integer/],
  ])('rejects %o', (context, message) => {
    expect(() => resolveConfig(context)).toThrow(message);
  });

  it('takes overrides from context into the alarms', () => {
    const c = resolveConfig({
      ...PROD,
      alarmCacheEngineCpuWarningPercent: '70',
      alarmCacheHostCpuPercent: '60',
      alarmHttpsEndpoints: 'https://a.example.com/x,https://b.example.com/y',
    });
    expect(c).toMatchObject({ alarmCacheEngineCpuWarningPercent: 70, alarmCacheHostCpuPercent: 60, alarmElb5xxPerMinute: 25 });
    expect(c.alarmHttpsEndpoints).toEqual(['https://a.example.com/x', 'https://b.example.com/y']);
  });
});
