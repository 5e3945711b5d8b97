import { App, CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { afterAll, describe, expect, it } from 'vitest';
import { Monitoring, MonitoringProps } from '../../infra/monitoring';
import { cacheNodeVcpus, hasRequestLatencyMetrics, hostCpuThresholdPercent, replicaCapableMembers } from '../../infra/monitoring-cache';
import { cleanup, synth, PROD } from './helpers';

afterAll(cleanup);

const alarmNames = (t: Template) =>
  Object.values(t.findResources('AWS::CloudWatch::Alarm')).map((r) => (r as { Properties: { AlarmName: string } }).Properties.AlarmName);

describe('cache facts', () => {
  it('derives the host-CPU threshold from vCPUs: 90 % of one core on small nodes, of the host on larger ones', () => {
    expect(hostCpuThresholdPercent(1)).toBe(90);
    expect(hostCpuThresholdPercent(2)).toBe(45);
    expect(hostCpuThresholdPercent(4)).toBe(90);
    expect(cacheNodeVcpus('cache.t4g.micro')).toBe(2);
    expect(cacheNodeVcpus('cache.t2.micro')).toBe(1);
    expect(cacheNodeVcpus('cache.m7g.large')).toBe(2);
    expect(cacheNodeVcpus('cache.r7g.4xlarge')).toBe(16);
    expect(cacheNodeVcpus('cache.x9.large')).toBeUndefined();
  });

  it('counts as replica-capable every node of a group or shard with more than one, and no lone node', () => {
    expect([...replicaCapableMembers(['g-001'])]).toEqual([]);
    expect([...replicaCapableMembers(['g-001', 'g-002'])]).toEqual(['g-001', 'g-002']);
    expect([...replicaCapableMembers(['g-0001-001', 'g-0002-001'])]).toEqual([]);
    expect([...replicaCapableMembers(['g-0001-001', 'g-0001-002', 'g-0002-001'])]).toEqual(['g-0001-001', 'g-0001-002']);
  });

  it.each([
    ['valkey', '8.0', true],
    ['valkey', '7.2', true],
    ['valkey', '7.1', false],
    ['redis', '7.1', true],
    ['redis', '7.0.7', true],
    ['redis', '7.0', false],
    ['redis', '6.2', false],
  ] as const)('%s %s publishes read/write request latency: %s', (engine, version, expected) => {
    expect(hasRequestLatencyMetrics(engine, version)).toBe(expected);
  });
});

describe('monitoring variants (synthesized)', () => {
  it('cluster mode: per-node alarms on <id>-<shard>-<node>, replication lag on every node of each shard with replicas', () => {
    const s = synth({ ...PROD, cacheClusterMode: 'true', cacheShards: '2', cacheReplicasPerShard: '1' }, { lock: null });
    const names = alarmNames(s.service);
    expect(names).toContain('socketio-prod-service-RedisEngineCpuCritical-0001-001');
    expect(names).toContain('socketio-prod-service-RedisEngineCpuCritical-0002-002');
    // A failover makes a shard's replica its primary and the old primary a replica: each node needs the alarm.
    expect(names.filter((n) => n.includes('ReplicationLag')).sort()).toEqual([
      'socketio-prod-service-RedisReplicationLag-0001-001',
      'socketio-prod-service-RedisReplicationLag-0001-002',
      'socketio-prod-service-RedisReplicationLag-0002-001',
      'socketio-prod-service-RedisReplicationLag-0002-002',
    ]);
    s.service.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'socketio-prod-service-RedisMemory-0002-001',
      Dimensions: [
        { Name: 'CacheClusterId', Value: 'socketio-prod-0002-001' },
        { Name: 'CacheNodeId', Value: '0001' },
      ],
    });
    s.service.hasOutput('CacheMemberIds', {
      Value: 'socketio-prod-0001-001,socketio-prod-0001-002,socketio-prod-0002-001,socketio-prod-0002-002',
    });
    // The file's first synth also loads aws-cdk-lib and cdk-nag: on a shared, loaded machine that outlasts the default.
  }, 120_000);

  it('Redis OSS 7.0 (patch unknown): no read/write latency alarms, pub/sub latency stays', () => {
    const names = alarmNames(synth({ cacheEngine: 'redis', cacheEngineVersion: '7.0' }, { lock: null }).service);
    expect(names.some((n) => /Read|Write/.test(n))).toBe(false);
    expect(names).toContain('socketio-dev-service-RedisPubSubLatencyCritical-001');
  });

  it('an unknown node type needs an explicit host-CPU threshold, which then applies', () => {
    expect(() => synth({ cacheNodeType: 'cache.x9.large' })).toThrow(
      /cacheNodeType "cache\.x9\.large" is not in the vCPU table.*thresholds\.alarmCacheHostCpuPercent/,
    );
    const s = synth({ cacheNodeType: 'cache.x9.large', alarmCacheHostCpuPercent: '60', alarmCacheConnectionsMax: '500' });
    s.service.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'socketio-dev-service-RedisHostCpu-001', Threshold: 60 });
    s.service.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'socketio-dev-service-RedisConnections-001', Threshold: 500 });
  });

  it('refuses more nodes than per-node alarms can cover', () => {
    expect(() => synth({ ...PROD, cacheClusterMode: 'true', cacheShards: '11', cacheReplicasPerShard: '2' }, { lock: null })).toThrow(
      /per-node alarms cover 1 to 30 cache nodes, got 33/,
    );
  });
});

describe('Monitoring construct props', () => {
  function props(overrides: Partial<MonitoringProps> = {}, env = { region: 'eu-west-1' }): { stack: Stack; props: MonitoringProps } {
    const stack = new Stack(new App(), 'Bare', { env });
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0 });
    const ecsCluster = new ecs.Cluster(stack, 'Cluster', { vpc });
    const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task');
    taskDefinition.addContainer('app', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:latest') });
    const service = new ecs.FargateService(stack, 'Service', { cluster: ecsCluster, taskDefinition });
    const loadBalancer = new elbv2.ApplicationLoadBalancer(stack, 'Alb', { vpc });
    const targetGroup = new elbv2.ApplicationTargetGroup(stack, 'Targets', {
      vpc,
      port: 3000,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targetType: elbv2.TargetType.IP,
    });
    loadBalancer.addListener('Http', { port: 80, defaultTargetGroups: [targetGroup] });
    return {
      stack,
      props: {
        service,
        ecsCluster,
        targetGroup,
        loadBalancer,
        metricsServiceName: 'svc',
        replicationGroupId: 'grp',
        cacheNodeType: 'cache.t4g.small',
        ...overrides,
      },
    };
  }

  it('works with defaults: one node, warnings only, no subscribers', () => {
    const { stack, props: p } = props();
    const m = new Monitoring(stack, 'Monitoring', p);
    expect(m.memberIds).toEqual(['grp-001']);
    expect(m.thresholds).toMatchObject({
      alarmCacheEngineCpuWarningPercent: 80,
      alarmCacheEngineCpuCriticalPercent: 90,
      alarmCacheHostCpuPercent: 45,
      alarmCacheConnectionsMax: 2 * 2 * 3 + 50,
    });
    Template.fromStack(stack).resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it('names the stack and its region in the on-call commands, and needs a region to name', () => {
    const { stack, props: p } = props();
    const m = new Monitoring(stack, 'Monitoring', p);
    const description = Template.fromStack(stack).toJSON().Resources[stack.getLogicalId(m.serviceImpaired.node.defaultChild as CfnElement)]
      .Properties.AlarmDescription as string;
    expect(description).toContain('`npm run oncall -- status --stack Bare --region eu-west-1`: which child alarm fired');
    const agnostic = props({}, {} as { region: string });
    expect(() => new Monitoring(agnostic.stack, 'Monitoring', agnostic.props)).toThrow(
      /Monitoring: the stack needs a concrete region \(env\.region\): alarm descriptions name it/,
    );
  });

  it.each([
    [
      { thresholds: { alarmCacheEngineCpuWarningPercent: 90, alarmCacheEngineCpuCriticalPercent: 90 } },
      /thresholds\.alarmCacheEngineCpuWarningPercent \(90\) must be below thresholds\.alarmCacheEngineCpuCriticalPercent \(90\)/,
    ],
    [
      { thresholds: { alarmCachePubSubLatencyWarningMicros: 5000 } },
      /thresholds\.alarmCachePubSubLatencyWarningMicros \(5000\) must be below thresholds\.alarmCachePubSubLatencyCriticalMicros \(2000\)/,
    ],
    [{ thresholds: { alarmTaskMemoryPercent: 120 } }, /thresholds\.alarmTaskMemoryPercent must be from 1 to 100, got 120/],
    [{ thresholds: { alarmElb5xxPerMinute: -1 } }, /thresholds\.alarmElb5xxPerMinute must be from 0 to 1000000, got -1/],
    [{ numCacheClusters: 7 }, /numCacheClusters must be an integer from 1 to 6/],
    [{ minTasks: 3, maxTasks: 2 }, /minTasks \(3\) must be at least 1 and not above maxTasks \(2\)/],
    [{ cacheMemberIds: ['other-001'] }, /cacheMemberIds must start with "grp-"/],
    [{ alarmHttpsEndpoints: ['http://x.example.com'] }, /alarmHttpsEndpoints must hold https:\/\/ URLs/],
    [{ warningEmails: ['nope'] }, /warningEmails must hold email addresses/],
  ] as [Partial<MonitoringProps>, RegExp][])('rejects %o', (overrides, message) => {
    const { stack, props: p } = props(overrides);
    expect(() => new Monitoring(stack, 'Monitoring', p)).toThrow(message);
  });
});
