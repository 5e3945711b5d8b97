import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { alarmDescription, AlarmStory, Severity, STORIES } from './monitoring-descriptions';
import { cacheMemberIds } from '../contract/stack';
import { cacheNodeVcpus, hasRequestLatencyMetrics, hostCpuThresholdPercent } from './monitoring-cache';
import {
  AlbMetrics,
  albMetrics,
  CacheNodeMetrics,
  cacheNodeMetrics,
  EcsServiceMetrics,
  ecsServiceMetrics,
  METRIC_PERIOD,
  ServiceMetrics,
  serviceMetrics,
} from './monitoring-metrics';

/** Alarm thresholds; every one has a default here and a per-stage value in infra/config.ts. */
export interface MonitoringThresholds {
  /** Redis EngineCPUUtilization warning level, percent. @default 80 */
  readonly engineCpuWarningPercent?: number;
  /** Redis EngineCPUUtilization critical level (feeds the paging alarm), percent. @default 90 */
  readonly engineCpuCriticalPercent?: number;
  /** Redis host CPUUtilization level, percent. @default derived from the node type's vCPUs (hostCpuThresholdPercent) */
  readonly hostCpuPercent?: number;
  /** PubSubBasedCmdsLatency warning level, microseconds. @default 500 */
  readonly pubSubLatencyWarningMicros?: number;
  /** PubSubBasedCmdsLatency critical level (feeds the paging alarm), microseconds. @default 2000 */
  readonly pubSubLatencyCriticalMicros?: number;
  /** SuccessfulRead/WriteRequestLatency level, microseconds. @default 1000 */
  readonly requestLatencyMicros?: number;
  /** DatabaseMemoryUsagePercentage level, percent. @default 80 */
  readonly memoryPercent?: number;
  /** CurrConnections level per node. @default maxTasks × 2 (deploys double the tasks) × clientsPerTask + 50 */
  readonly connectionsMax?: number;
  /** ReplicationLag level on replicas, seconds. @default 10 */
  readonly replicationLagSeconds?: number;
  /** SwapUsage level, MiB. @default 50 */
  readonly swapMiB?: number;
  /** Evictions per minute above which to alarm. @default 0 */
  readonly evictionsPerMinute?: number;
  /** NetworkBandwidthOutAllowanceExceeded packets per minute above which to alarm. @default 0 */
  readonly shapedPacketsPerMinute?: number;
  /** ECS service CPUUtilization level, percent. @default 80 */
  readonly taskCpuPercent?: number;
  /** ECS service MemoryUtilization level, percent. @default 80 */
  readonly taskMemoryPercent?: number;
  /** UnHealthyHostCount above which to alarm. @default 0 */
  readonly unhealthyTargets?: number;
  /** HTTPCode_ELB_5XX_Count per minute above which to alarm (feeds the paging alarm). @default 10 */
  readonly elb5xxPerMinute?: number;
  /** HTTPCode_Target_5XX_Count per minute above which to alarm. @default 10 */
  readonly target5xxPerMinute?: number;
  /** RejectedConnectionCount per minute above which to alarm. @default 0 */
  readonly rejectedConnectionsPerMinute?: number;
  /** RedisAdapterErrors per minute (all tasks) above which to alarm. @default 10 */
  readonly redisAdapterErrorsPerMinute?: number;
  /** EventLoopDelayP99 of the worst task above which to alarm, ms. @default 200 */
  readonly eventLoopDelayMs?: number;
}

export interface MonitoringProps {
  /** The Fargate service of the Socket.IO tasks. */
  readonly service: ecs.FargateService;
  /** ECS cluster of the service. */
  readonly ecsCluster: ecs.ICluster;
  /** Target group the tasks register in. */
  readonly targetGroup: elbv2.ApplicationTargetGroup;
  /** The public ALB. */
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  /** ServiceName dimension of the service's custom metrics. */
  readonly metricsServiceName: string;
  /** Replication group id (members are <id>-001, <id>-002, …). */
  readonly replicationGroupId: string;
  /** Node type of the replication group (sets the host-CPU threshold). */
  readonly cacheNodeType: string;
  /** Members of the replication group: the primary plus replicas. @default 1 */
  readonly numCacheClusters?: number;
  /** CacheClusterId of every member (cluster mode names them <id>-0001-001). @default <id>-001 … <id>-<numCacheClusters> */
  readonly cacheMemberIds?: readonly string[];
  /** Cache engine. @default 'valkey' */
  readonly cacheEngine?: string;
  /** Engine version (decides the read/write latency alarms). @default '8.0' */
  readonly cacheEngineVersion?: string;
  /** Autoscaling minimum: fewer running tasks than this feeds the paging alarm. @default 1 */
  readonly minTasks?: number;
  /** Autoscaling maximum, for the default connection threshold. @default 2 */
  readonly maxTasks?: number;
  /** Redis connections one task opens (pub, sub, a streams reader). @default 3 */
  readonly clientsPerTask?: number;
  /** Alarm thresholds. @default the defaults of MonitoringThresholds */
  readonly thresholds?: MonitoringThresholds;
  /** Email addresses subscribed to the paging topic. @default none */
  readonly pagingEmails?: readonly string[];
  /** HTTPS endpoints subscribed to the paging topic. @default none */
  readonly pagingHttpsEndpoints?: readonly string[];
  /** Email addresses subscribed to the warnings topic. @default none */
  readonly warningEmails?: readonly string[];
  /** HTTPS endpoints subscribed to the warnings topic. @default none */
  readonly warningHttpsEndpoints?: readonly string[];
  /** Prefix of every alarm name and the dashboard name. @default the stack name */
  readonly namePrefix?: string;
}

/** What the service stack needs to know about the cache to watch it. */
export type MonitoredCache = Pick<
  MonitoringProps,
  'replicationGroupId' | 'cacheNodeType' | 'numCacheClusters' | 'cacheMemberIds' | 'cacheEngine' | 'cacheEngineVersion'
>;

/**
 * Per-node alarms stop here: about 12 alarms a node, and a CloudFormation stack holds at most
 * 500 resources; the paging rule (two alarms a node) must also fit CloudWatch's 10,240 characters.
 */
export const MAX_MONITORED_NODES = 30;
/** Thresholds and subscribers: the per-stage part of the props. */
export type MonitoringSettings = Pick<
  MonitoringProps,
  'thresholds' | 'pagingEmails' | 'pagingHttpsEndpoints' | 'warningEmails' | 'warningHttpsEndpoints' | 'clientsPerTask'
>;

type Resolved = Required<Omit<MonitoringThresholds, 'hostCpuPercent'>> & { hostCpuPercent: number };

const COMPARISON_TEXT: Record<string, string> = {
  [cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD]: '>',
  [cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD]: '<',
};

interface AlarmSpec {
  /** Construct id and alarm name suffix. */
  readonly id: string;
  readonly metric: cloudwatch.IMetric;
  /** Metric name, statistic and unit as the description shows them. */
  readonly shows: string;
  /** Where, in words (no tokens: descriptions stay plain strings). */
  readonly where: string;
  readonly threshold: number;
  readonly unit?: string;
  readonly comparison?: cloudwatch.ComparisonOperator;
  readonly datapoints: number;
  readonly periods: number;
  readonly missing: cloudwatch.TreatMissingData;
  readonly story: AlarmStory;
}

/**
 * Alarms, notification topics and a dashboard for the Socket.IO service and its Redis: every
 * metric alarm is a warning; one composite "service impaired" alarm is the only one that pages.
 */
export class Monitoring extends Construct {
  /** Topic of the composite alarm: route it to the pager. */
  public readonly pagingTopic: sns.Topic;
  /** Topic of every metric alarm: route it to chat or email. */
  public readonly warningTopic: sns.Topic;
  public readonly topicKey: kms.Key;
  /** Every metric alarm, by name suffix (e.g. RedisEngineCpuCritical-001). */
  public readonly alarms: ReadonlyMap<string, cloudwatch.Alarm>;
  public readonly serviceImpaired: cloudwatch.CompositeAlarm;
  public readonly dashboard: cloudwatch.Dashboard;
  public readonly thresholds: Readonly<Resolved>;
  public readonly memberIds: readonly string[];
  public readonly namePrefix: string;

  private readonly byId = new Map<string, cloudwatch.Alarm>();

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const numCacheClusters = props.numCacheClusters ?? 1;
    const cacheEngine = props.cacheEngine ?? 'valkey';
    const cacheEngineVersion = props.cacheEngineVersion ?? '8.0';
    const minTasks = props.minTasks ?? 1;
    const maxTasks = props.maxTasks ?? 2;
    const clientsPerTask = props.clientsPerTask ?? 3;
    this.namePrefix = props.namePrefix ?? Stack.of(this).stackName;
    const t = props.thresholds ?? {};
    const vcpus = cacheNodeVcpus(props.cacheNodeType);
    if (t.hostCpuPercent === undefined && vcpus === undefined) {
      throw new Error(
        `Monitoring: cacheNodeType "${props.cacheNodeType}" is not in the vCPU table (infra/monitoring-cache.ts); add it or set thresholds.hostCpuPercent`,
      );
    }
    this.thresholds = {
      engineCpuWarningPercent: t.engineCpuWarningPercent ?? 80,
      engineCpuCriticalPercent: t.engineCpuCriticalPercent ?? 90,
      hostCpuPercent: t.hostCpuPercent ?? hostCpuThresholdPercent(vcpus as number),
      pubSubLatencyWarningMicros: t.pubSubLatencyWarningMicros ?? 500,
      pubSubLatencyCriticalMicros: t.pubSubLatencyCriticalMicros ?? 2_000,
      requestLatencyMicros: t.requestLatencyMicros ?? 1_000,
      memoryPercent: t.memoryPercent ?? 80,
      connectionsMax: t.connectionsMax ?? maxTasks * 2 * clientsPerTask + 50,
      replicationLagSeconds: t.replicationLagSeconds ?? 10,
      swapMiB: t.swapMiB ?? 50,
      evictionsPerMinute: t.evictionsPerMinute ?? 0,
      shapedPacketsPerMinute: t.shapedPacketsPerMinute ?? 0,
      taskCpuPercent: t.taskCpuPercent ?? 80,
      taskMemoryPercent: t.taskMemoryPercent ?? 80,
      unhealthyTargets: t.unhealthyTargets ?? 0,
      elb5xxPerMinute: t.elb5xxPerMinute ?? 10,
      target5xxPerMinute: t.target5xxPerMinute ?? 10,
      rejectedConnectionsPerMinute: t.rejectedConnectionsPerMinute ?? 0,
      redisAdapterErrorsPerMinute: t.redisAdapterErrorsPerMinute ?? 10,
      eventLoopDelayMs: t.eventLoopDelayMs ?? 200,
    };
    this.memberIds = props.cacheMemberIds ?? cacheMemberIds(props.replicationGroupId, numCacheClusters);
    validate(this.thresholds, { numCacheClusters, minTasks, maxTasks, clientsPerTask, props, memberIds: this.memberIds });
    const th = this.thresholds;

    // CloudWatch cannot use the AWS-managed aws/sns key (its policy cannot admit CloudWatch), so
    // the topics share one customer-managed key that does.
    this.topicKey = new kms.Key(this, 'TopicKey', {
      description: `${this.namePrefix} alarm topics`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    this.topicKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
    this.pagingTopic = this.topic('PagingTopic', 'paging', props.pagingEmails ?? [], props.pagingHttpsEndpoints ?? []);
    this.warningTopic = this.topic('WarningTopic', 'warnings', props.warningEmails ?? [], props.warningHttpsEndpoints ?? []);

    // Why each missing-data choice:
    // KEEP: a node that stops reporting (replaced, failing over) shows INSUFFICIENT_DATA in `oncall status` instead of a false OK or a false alarm.
    const KEEP = cloudwatch.TreatMissingData.MISSING;
    // QUIET: the metric is only published when something happens (5xx, evictions, latency of commands that ran), or its absence is another alarm's job.
    const QUIET = cloudwatch.TreatMissingData.NOT_BREACHING;
    // SILENCE_IS_BAD: no datapoint means nothing runs or nothing is healthy; these feed the paging alarm.
    const SILENCE_IS_BAD = cloudwatch.TreatMissingData.BREACHING;

    // --- Redis, per member node ---------------------------------------------------------------
    const engineCritical: cloudwatch.Alarm[] = [];
    const pubSubCritical: cloudwatch.Alarm[] = [];
    const requestLatency = hasRequestLatencyMetrics(cacheEngine, cacheEngineVersion);
    for (const member of this.memberIds) {
      const m = cacheNodeMetrics(member);
      // Alarm ids keep what follows the group id: 001, or 0002-001 in cluster mode.
      const n = member.slice(props.replicationGroupId.length + 1);
      const where = `node ${member}`;
      this.alarm({
        id: `RedisEngineCpuWarning-${n}`,
        metric: m.engineCpuAvgPercent,
        shows: 'EngineCPUUtilization Average',
        unit: ' %',
        where,
        threshold: th.engineCpuWarningPercent,
        datapoints: 5,
        periods: 5,
        missing: KEEP,
        story: STORIES.engineCpu,
      });
      engineCritical.push(
        this.alarm({
          id: `RedisEngineCpuCritical-${n}`,
          metric: m.engineCpuAvgPercent,
          shows: 'EngineCPUUtilization Average',
          unit: ' %',
          where,
          threshold: th.engineCpuCriticalPercent,
          datapoints: 3,
          periods: 3,
          missing: KEEP,
          story: STORIES.engineCpu,
        }),
      );
      this.alarm({
        id: `RedisHostCpu-${n}`,
        metric: m.hostCpuAvgPercent,
        shows: 'CPUUtilization Average',
        unit: ' %',
        where,
        threshold: th.hostCpuPercent,
        datapoints: 5,
        periods: 5,
        missing: KEEP,
        story: STORIES.hostCpu,
      });
      this.alarm({
        id: `RedisPubSubLatencyWarning-${n}`,
        metric: m.pubSubLatencyAvgMicros,
        shows: 'PubSubBasedCmdsLatency Average',
        unit: ' µs',
        where,
        threshold: th.pubSubLatencyWarningMicros,
        datapoints: 5,
        periods: 5,
        missing: QUIET,
        story: STORIES.latency,
      });
      pubSubCritical.push(
        this.alarm({
          id: `RedisPubSubLatencyCritical-${n}`,
          metric: m.pubSubLatencyAvgMicros,
          shows: 'PubSubBasedCmdsLatency Average',
          unit: ' µs',
          where,
          threshold: th.pubSubLatencyCriticalMicros,
          datapoints: 3,
          periods: 3,
          missing: QUIET,
          story: STORIES.latency,
        }),
      );
      if (requestLatency) {
        this.alarm({
          id: `RedisReadLatency-${n}`,
          metric: m.readLatencyAvgMicros,
          shows: 'SuccessfulReadRequestLatency Average',
          unit: ' µs',
          where,
          threshold: th.requestLatencyMicros,
          datapoints: 5,
          periods: 5,
          missing: QUIET,
          story: STORIES.latency,
        });
        this.alarm({
          id: `RedisWriteLatency-${n}`,
          metric: m.writeLatencyAvgMicros,
          shows: 'SuccessfulWriteRequestLatency Average',
          unit: ' µs',
          where,
          threshold: th.requestLatencyMicros,
          datapoints: 5,
          periods: 5,
          missing: QUIET,
          story: STORIES.latency,
        });
      }
      this.alarm({
        id: `RedisMemory-${n}`,
        metric: m.memoryUsageMaxPercent,
        shows: 'DatabaseMemoryUsagePercentage Maximum',
        unit: ' %',
        where,
        threshold: th.memoryPercent,
        datapoints: 5,
        periods: 5,
        missing: KEEP,
        story: STORIES.memory,
      });
      this.alarm({
        id: `RedisConnections-${n}`,
        metric: m.connectionsMaxCount,
        shows: 'CurrConnections Maximum',
        where,
        threshold: th.connectionsMax,
        datapoints: 5,
        periods: 5,
        missing: KEEP,
        story: STORIES.connections,
      });
      this.alarm({
        id: `RedisEvictions-${n}`,
        metric: m.evictionsSumCount,
        shows: 'Evictions Sum per minute',
        where,
        threshold: th.evictionsPerMinute,
        datapoints: 1,
        periods: 1,
        missing: QUIET,
        story: STORIES.evictions,
      });
      // Replicas only (node 002+ of a group or shard). A primary publishes no ReplicationLag, nor
      // does a replica promoted by a failover: QUIET.
      if (!member.endsWith('-001')) {
        this.alarm({
          id: `RedisReplicationLag-${n}`,
          metric: m.replicationLagMaxSeconds,
          shows: 'ReplicationLag Maximum',
          unit: ' s',
          where: `replica ${member}`,
          threshold: th.replicationLagSeconds,
          datapoints: 5,
          periods: 5,
          missing: QUIET,
          story: STORIES.replicationLag,
        });
      }
      this.alarm({
        id: `RedisShapedPackets-${n}`,
        metric: m.shapedPacketsOutSumCount,
        shows: 'NetworkBandwidthOutAllowanceExceeded Sum per minute',
        where,
        threshold: th.shapedPacketsPerMinute,
        datapoints: 3,
        periods: 5,
        missing: QUIET,
        story: STORIES.shapedPackets,
      });
      this.alarm({
        id: `RedisSwap-${n}`,
        metric: m.swapMaxBytes,
        shows: 'SwapUsage Maximum',
        unit: ' bytes',
        where,
        threshold: th.swapMiB * 1024 * 1024,
        datapoints: 5,
        periods: 5,
        missing: KEEP,
        story: STORIES.swap,
      });
    }

    // --- ECS --------------------------------------------------------------------------------------
    const ecsm = ecsServiceMetrics(props.ecsCluster.clusterName, props.service.serviceName);
    const svcWhere = 'the ECS service';
    this.alarm({
      id: 'TaskCpu',
      metric: ecsm.cpuAvgPercent,
      shows: 'ECS CPUUtilization Average',
      unit: ' %',
      where: svcWhere,
      threshold: th.taskCpuPercent,
      datapoints: 5,
      periods: 5,
      missing: QUIET,
      story: STORIES.taskCpu,
    });
    this.alarm({
      id: 'TaskMemory',
      metric: ecsm.memoryAvgPercent,
      shows: 'ECS MemoryUtilization Average',
      unit: ' %',
      where: svcWhere,
      threshold: th.taskMemoryPercent,
      datapoints: 5,
      periods: 5,
      missing: QUIET,
      story: STORIES.taskMemory,
    });
    // Three minutes lets ECS replace a crashed task before anyone is paged.
    const runningTasks = this.alarm({
      id: 'RunningTasksBelowMin',
      metric: ecsm.runningTasksMinCount,
      shows: 'RunningTaskCount Minimum',
      where: svcWhere,
      comparison: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      threshold: minTasks,
      datapoints: 3,
      periods: 3,
      missing: SILENCE_IS_BAD,
      story: STORIES.runningTasks,
    });

    // --- ALB --------------------------------------------------------------------------------------
    const alb = albMetrics(props.loadBalancer.loadBalancerFullName, props.targetGroup.targetGroupFullName);
    this.alarm({
      id: 'UnhealthyTargets',
      metric: alb.unhealthyTargetsMaxCount,
      shows: 'UnHealthyHostCount Maximum',
      where: 'the target group',
      threshold: th.unhealthyTargets,
      datapoints: 5,
      periods: 5,
      missing: QUIET,
      story: STORIES.unhealthyTargets,
    });
    const noHealthy = this.alarm({
      id: 'NoHealthyTargets',
      metric: alb.healthyTargetsMinCount,
      shows: 'HealthyHostCount Minimum',
      where: 'the target group',
      comparison: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      threshold: 1,
      datapoints: 2,
      periods: 2,
      missing: SILENCE_IS_BAD,
      story: STORIES.noHealthyTargets,
    });
    const elb5xx = this.alarm({
      id: 'Elb5xx',
      metric: alb.elb5xxSumCount,
      shows: 'HTTPCode_ELB_5XX_Count Sum per minute',
      where: 'the ALB',
      threshold: th.elb5xxPerMinute,
      datapoints: 3,
      periods: 5,
      missing: QUIET,
      story: STORIES.elb5xx,
    });
    this.alarm({
      id: 'Target5xx',
      metric: alb.target5xxSumCount,
      shows: 'HTTPCode_Target_5XX_Count Sum per minute',
      where: 'the target group',
      threshold: th.target5xxPerMinute,
      datapoints: 3,
      periods: 5,
      missing: QUIET,
      story: STORIES.target5xx,
    });
    // One rejected minute is enough; five periods keep it raised until five clean minutes pass.
    this.alarm({
      id: 'RejectedConnections',
      metric: alb.rejectedConnectionsSumCount,
      shows: 'RejectedConnectionCount Sum per minute',
      where: 'the ALB',
      threshold: th.rejectedConnectionsPerMinute,
      datapoints: 1,
      periods: 5,
      missing: QUIET,
      story: STORIES.rejectedConnections,
    });

    // --- the service's own metrics ---------------------------------------------------------------
    const svc = serviceMetrics(props.metricsServiceName);
    this.alarm({
      id: 'RedisAdapterErrors',
      metric: svc.redisAdapterErrorsSumCount,
      shows: 'RedisAdapterErrors Sum per minute',
      where: `service ${props.metricsServiceName}`,
      threshold: th.redisAdapterErrorsPerMinute,
      datapoints: 3,
      periods: 5,
      missing: QUIET,
      story: STORIES.redisAdapterErrors,
    });
    this.alarm({
      id: 'EventLoopDelay',
      metric: svc.eventLoopDelayP99MaxMs,
      shows: 'EventLoopDelayP99 Maximum',
      unit: ' ms',
      where: `service ${props.metricsServiceName}`,
      threshold: th.eventLoopDelayMs,
      datapoints: 3,
      periods: 5,
      missing: QUIET,
      story: STORIES.eventLoopDelay,
    });
    this.alarms = this.byId;

    // --- the one paging alarm -------------------------------------------------------------------
    // Any member's critical alarm counts: after a failover the primary may be -002 or -003.
    const children = [runningTasks, elb5xx, noHealthy, ...engineCritical, ...pubSubCritical];
    const composite = `${this.namePrefix}-ServiceImpaired`;
    this.serviceImpaired = new cloudwatch.CompositeAlarm(this, 'ServiceImpaired', {
      compositeAlarmName: composite,
      alarmRule: cloudwatch.AlarmRule.anyOf(...children.map((a) => cloudwatch.AlarmRule.fromAlarm(a, cloudwatch.AlarmState.ALARM))),
      alarmDescription: alarmDescription(
        'PAGING',
        `any of: running tasks below ${minTasks}, no healthy ALB target, ALB 5xx above ${th.elb5xxPerMinute}/min, Redis engine CPU above ${th.engineCpuCriticalPercent} % or pub/sub latency above ${th.pubSubLatencyCriticalMicros} µs on a node.`,
        STORIES.serviceImpaired,
      ),
    });
    this.notify(this.serviceImpaired, 'PAGING');

    this.dashboard = this.buildDashboard({ ecsm, alb, svc, requestLatency });
  }

  /** Where notifications go: the one place that adds alarm and OK actions. */
  private notify(alarm: cloudwatch.AlarmBase, severity: Severity): void {
    const action = new cwActions.SnsAction(severity === 'PAGING' ? this.pagingTopic : this.warningTopic);
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
  }

  private alarm(spec: AlarmSpec): cloudwatch.Alarm {
    const comparison = spec.comparison ?? cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD;
    const condition = `${spec.shows} ${COMPARISON_TEXT[comparison]} ${spec.threshold}${spec.unit ?? ''} for ${spec.datapoints} of ${spec.periods} min on ${spec.where}.`;
    const alarm = new cloudwatch.Alarm(this, spec.id, {
      alarmName: `${this.namePrefix}-${spec.id}`,
      alarmDescription: alarmDescription('WARNING', condition, spec.story),
      metric: spec.metric,
      threshold: spec.threshold,
      comparisonOperator: comparison,
      evaluationPeriods: spec.periods,
      datapointsToAlarm: spec.datapoints,
      treatMissingData: spec.missing,
    });
    this.notify(alarm, 'WARNING');
    this.byId.set(spec.id, alarm);
    return alarm;
  }

  private topic(id: string, purpose: string, emails: readonly string[], endpoints: readonly string[]): sns.Topic {
    const topic = new sns.Topic(this, id, {
      displayName: `${this.namePrefix} ${purpose}`,
      masterKey: this.topicKey,
      enforceSSL: true,
    });
    const stack = Stack.of(this);
    // Only this account's alarms may publish (confused-deputy guard).
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: {
          ArnLike: { 'aws:SourceArn': `arn:${stack.partition}:cloudwatch:${stack.region}:${stack.account}:alarm:*` },
          StringEquals: { 'aws:SourceAccount': stack.account },
        },
      }),
    );
    for (const email of emails) topic.addSubscription(new subscriptions.EmailSubscription(email));
    for (const url of endpoints)
      topic.addSubscription(new subscriptions.UrlSubscription(url, { protocol: sns.SubscriptionProtocol.HTTPS }));
    return topic;
  }

  private buildDashboard(m: {
    ecsm: EcsServiceMetrics;
    alb: AlbMetrics;
    svc: ServiceMetrics;
    requestLatency: boolean;
  }): cloudwatch.Dashboard {
    const perNode = (pick: (n: CacheNodeMetrics) => cloudwatch.Metric, suffix = '') =>
      this.memberIds.map((id) => pick(cacheNodeMetrics(id)).with({ label: `${id}${suffix}` }));
    const graph = (title: string, left: cloudwatch.IMetric[], right: cloudwatch.IMetric[] = [], width = 8) =>
      new cloudwatch.GraphWidget({ title, left, right, width, height: 6, period: METRIC_PERIOD });
    const latency = [
      ...perNode((n) => n.pubSubLatencyAvgMicros, ' pub/sub'),
      ...(m.requestLatency
        ? [...perNode((n) => n.readLatencyAvgMicros, ' read'), ...perNode((n) => n.writeLatencyAvgMicros, ' write')]
        : []),
    ];
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: this.namePrefix,
      defaultInterval: Duration.hours(6),
    });
    dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({ title: 'Paging alarm', alarms: [this.serviceImpaired], width: 24, height: 2 }));
    dashboard.addWidgets(
      graph(
        'Connected clients',
        [m.svc.connectedClientsTotalCount],
        [m.svc.connectedClientsAvgPerTask.with({ label: 'average per task' })],
      ),
      graph('Messages per minute', [
        m.svc.messagesInSumCount.with({ label: 'in' }),
        m.svc.messagesDeliveredSumCount.with({ label: 'delivered' }),
      ]),
      graph(
        'Redis adapter errors / reconnects, event loop p99 (ms)',
        [m.svc.redisAdapterErrorsSumCount.with({ label: 'adapter errors' }), m.svc.redisReconnectsSumCount.with({ label: 'reconnects' })],
        [m.svc.eventLoopDelayP99MaxMs.with({ label: 'event loop p99 ms' })],
      ),
    );
    dashboard.addWidgets(
      graph('Redis latency (µs, Average)', latency),
      graph(
        'Redis EngineCPUUtilization (%)',
        perNode((n) => n.engineCpuAvgPercent),
      ),
      graph(
        'Redis DatabaseMemoryUsagePercentage (%)',
        perNode((n) => n.memoryUsageMaxPercent),
      ),
    );
    dashboard.addWidgets(
      graph('Tasks: running vs desired', [
        m.ecsm.runningTasksMinCount.with({ label: 'running' }),
        m.ecsm.desiredTasksMaxCount.with({ label: 'desired' }),
      ]),
      graph('Tasks: CPU and memory (%)', [m.ecsm.cpuAvgPercent.with({ label: 'CPU' }), m.ecsm.memoryAvgPercent.with({ label: 'memory' })]),
      graph(
        'Redis connections per node',
        perNode((n) => n.connectionsMaxCount),
      ),
    );
    dashboard.addWidgets(
      graph(
        'ALB requests and active connections',
        [m.alb.requestsSumCount.with({ label: 'requests' })],
        [m.alb.activeConnectionsSumCount.with({ label: 'active connections' })],
      ),
      graph('ALB 5xx per minute', [m.alb.elb5xxSumCount.with({ label: 'ELB 5xx' }), m.alb.target5xxSumCount.with({ label: 'target 5xx' })]),
      graph('ALB target response time (s, p99)', [m.alb.targetResponseTimeP99Seconds.with({ label: 'p99' })]),
    );
    return dashboard;
  }
}

function validate(
  th: Resolved,
  ctx: {
    numCacheClusters: number;
    minTasks: number;
    maxTasks: number;
    clientsPerTask: number;
    props: MonitoringProps;
    memberIds: readonly string[];
  },
): void {
  const fail = (message: string): never => {
    throw new Error(`Monitoring: ${message}`);
  };
  const { numCacheClusters, minTasks, maxTasks, clientsPerTask, props, memberIds } = ctx;
  if (props.cacheMemberIds === undefined && (!Number.isInteger(numCacheClusters) || numCacheClusters < 1 || numCacheClusters > 6)) {
    fail(`numCacheClusters must be an integer from 1 to 6, got ${numCacheClusters}`);
  }
  if (memberIds.length === 0 || memberIds.length > MAX_MONITORED_NODES) {
    fail(
      `per-node alarms cover 1 to ${MAX_MONITORED_NODES} cache nodes, got ${memberIds.length} (cacheMemberIds / numCacheClusters; in cluster mode shards × (1 + replicasPerShard))`,
    );
  }
  for (const id of memberIds) {
    if (!id.startsWith(`${props.replicationGroupId}-`))
      fail(`cacheMemberIds must start with "${props.replicationGroupId}-" (the replicationGroupId), got "${id}"`);
  }
  if (!Number.isInteger(minTasks) || minTasks < 1 || minTasks > maxTasks)
    fail(`minTasks (${minTasks}) must be at least 1 and not above maxTasks (${maxTasks})`);
  if (!Number.isInteger(clientsPerTask) || clientsPerTask < 1) fail(`clientsPerTask must be a positive integer, got ${clientsPerTask}`);
  for (const key of [
    'engineCpuWarningPercent',
    'engineCpuCriticalPercent',
    'hostCpuPercent',
    'memoryPercent',
    'taskCpuPercent',
    'taskMemoryPercent',
  ] as const) {
    if (!(th[key] > 0 && th[key] <= 100)) fail(`thresholds.${key} must be above 0 and at most 100, got ${th[key]}`);
  }
  for (const [key, value] of Object.entries(th)) {
    if (!Number.isFinite(value) || value < 0) fail(`thresholds.${key} must be a number of at least 0, got ${value}`);
  }
  if (th.engineCpuWarningPercent >= th.engineCpuCriticalPercent) {
    fail(
      `thresholds.engineCpuWarningPercent (${th.engineCpuWarningPercent}) must be below thresholds.engineCpuCriticalPercent (${th.engineCpuCriticalPercent})`,
    );
  }
  if (th.pubSubLatencyWarningMicros >= th.pubSubLatencyCriticalMicros) {
    fail(
      `thresholds.pubSubLatencyWarningMicros (${th.pubSubLatencyWarningMicros}) must be below thresholds.pubSubLatencyCriticalMicros (${th.pubSubLatencyCriticalMicros})`,
    );
  }
  for (const key of ['pagingHttpsEndpoints', 'warningHttpsEndpoints'] as const) {
    for (const url of props[key] ?? []) if (!url.startsWith('https://')) fail(`${key} must hold https:// URLs, got "${url}"`);
  }
  for (const key of ['pagingEmails', 'warningEmails'] as const) {
    for (const email of props[key] ?? [])
      if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) fail(`${key} must hold email addresses, got "${email}"`);
  }
}
