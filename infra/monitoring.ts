import { Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { cacheMemberIds } from '../contract/stack';
import { CACHE_DEFAULTS, CACHE_LIMITS, CacheEngine, PINNED_ENGINE_VERSIONS } from './cache';
import { AlarmDefinition, NODE_ALARMS, PAGING_CHILDREN, SERVICE_ALARMS, ServiceAlarmMetrics } from './monitoring-alarms';
import { cacheNodeVcpus, hasRequestLatencyMetrics, hostCpuThresholdPercent, replicaCapableMembers } from './monitoring-cache';
import { alarmDescription, OncallTarget, Severity, STORIES } from './monitoring-descriptions';
import { albMetrics, CacheNodeMetrics, cacheNodeMetrics, ecsServiceMetrics, METRIC_PERIOD, serviceMetrics } from './monitoring-metrics';
import {
  MonitoringThresholds,
  ResolvedThresholds,
  settleThresholds,
  ThresholdKey,
  thresholdRangeProblems,
  thresholdRuleProblems,
} from './monitoring-thresholds';
import { SOCKET_SERVICE_DEFAULTS, taskCountProblem } from './socket-service';
import { Format, intRangeProblem, Problem, PropsValidationError, throwPropsProblems } from './validation';

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
  /** Members of the replication group: the primary plus replicas. @default 1 (Cache's default) */
  readonly numCacheClusters?: number;
  /** CacheClusterId of every member (cluster mode names them <id>-0001-001). @default <id>-001 … <id>-<numCacheClusters> */
  readonly cacheMemberIds?: readonly string[];
  /** Cache engine. @default 'valkey' (Cache's default) */
  readonly cacheEngine?: CacheEngine;
  /** Engine version (decides the read/write latency alarms). @default the version pinned for the engine */
  readonly cacheEngineVersion?: string;
  /** Autoscaling minimum: fewer running tasks than this feeds the paging alarm. @default 1 (SocketService's default) */
  readonly minTasks?: number;
  /** Autoscaling maximum, for the default connection threshold. @default 2 (SocketService's default) */
  readonly maxTasks?: number;
  /** Redis connections one task opens (pub, sub, a streams reader). @default 3 */
  readonly clientsPerTask?: number;
  /** Alarm levels, under the deployment config's names. @default each key's default in MONITORING_THRESHOLDS */
  readonly thresholds?: MonitoringThresholds;
  /** Email addresses subscribed to the paging topic. @default none */
  readonly alarmEmails?: readonly string[];
  /** HTTPS endpoints subscribed to the paging topic. @default none */
  readonly alarmHttpsEndpoints?: readonly string[];
  /** Email addresses subscribed to the warnings topic. @default none */
  readonly warningEmails?: readonly string[];
  /** HTTPS endpoints subscribed to the warnings topic. @default none */
  readonly warningHttpsEndpoints?: readonly string[];
  /** Prefix of every alarm name and the dashboard name. @default the stack name */
  readonly namePrefix?: string;
}

/** Defaults of the props: Monitoring settles each with `??`. The cache's and the tasks' are their constructs'. */
export const MONITORING_DEFAULTS = {
  numCacheClusters: CACHE_DEFAULTS.numCacheClusters,
  cacheEngine: CACHE_DEFAULTS.engine,
  minTasks: SOCKET_SERVICE_DEFAULTS.minTasks,
  maxTasks: SOCKET_SERVICE_DEFAULTS.maxTasks,
  clientsPerTask: 3,
} as const;

/** Formats of the topics' subscribers, checked here and by the deployment config's schema. */
export const SUBSCRIBER_FORMATS = {
  email: { pattern: /^[^@\s,]+@[^@\s,]+\.[^@\s,]+$/, text: 'email addresses' },
  httpsUrl: { pattern: /^https:\/\/[^\s/,]+(\/[^\s,]*)?$/, text: 'https:// URLs' },
} as const satisfies Record<string, Format>;

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
  'thresholds' | 'alarmEmails' | 'alarmHttpsEndpoints' | 'warningEmails' | 'warningHttpsEndpoints' | 'clientsPerTask'
>;

const COMPARISON_TEXT: Record<string, string> = {
  [cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD]: '>',
  [cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD]: '<',
};

/** The props with their defaults settled, once. */
type Settled = ReturnType<typeof settle>;

function settle(props: MonitoringProps) {
  const d = MONITORING_DEFAULTS;
  const cacheEngine = props.cacheEngine ?? d.cacheEngine;
  return {
    numCacheClusters: props.numCacheClusters ?? d.numCacheClusters,
    cacheEngine,
    cacheEngineVersion: props.cacheEngineVersion ?? PINNED_ENGINE_VERSIONS[cacheEngine],
    minTasks: props.minTasks ?? d.minTasks,
    maxTasks: props.maxTasks ?? d.maxTasks,
    clientsPerTask: props.clientsPerTask ?? d.clientsPerTask,
  };
}

/** The props' single checks and the rules between them; the first problem is thrown. */
function monitoringProblems(props: MonitoringProps, s: Settled, th: ResolvedThresholds, memberIds: readonly string[]): Problem[] {
  const threshold = (key: ThresholdKey) => `thresholds.${key}`;
  const foreign = memberIds.find((id) => !id.startsWith(`${props.replicationGroupId}-`));
  const subscribers = (key: keyof MonitoringSettings, format: Format): Problem => {
    const bad = ((props[key] ?? []) as readonly string[]).find((v) => !format.pattern.test(v));
    return bad === undefined ? undefined : `${key} must hold ${format.text}, got "${bad}"`;
  };
  return [
    props.cacheMemberIds === undefined ? intRangeProblem('numCacheClusters', s.numCacheClusters, CACHE_LIMITS.numCacheClusters) : undefined,
    memberIds.length === 0 || memberIds.length > MAX_MONITORED_NODES
      ? `per-node alarms cover 1 to ${MAX_MONITORED_NODES} cache nodes, got ${memberIds.length} ` +
        '(cacheMemberIds / numCacheClusters; in cluster mode shards × (1 + replicasPerShard))'
      : undefined,
    foreign === undefined
      ? undefined
      : `cacheMemberIds must start with "${props.replicationGroupId}-" (the replicationGroupId), got "${foreign}"`,
    taskCountProblem(s.minTasks, s.maxTasks),
    Number.isInteger(s.clientsPerTask) && s.clientsPerTask >= 1
      ? undefined
      : `clientsPerTask must be a positive integer, got ${s.clientsPerTask}`,
    ...thresholdRangeProblems(th, threshold),
    ...thresholdRuleProblems(th, s.maxTasks, threshold),
    subscribers('alarmHttpsEndpoints', SUBSCRIBER_FORMATS.httpsUrl),
    subscribers('warningHttpsEndpoints', SUBSCRIBER_FORMATS.httpsUrl),
    subscribers('alarmEmails', SUBSCRIBER_FORMATS.email),
    subscribers('warningEmails', SUBSCRIBER_FORMATS.email),
  ];
}

/** What a node's alarm ids keep of its member id: 001, or 0002-001 in cluster mode. */
function nodeSuffix(member: string, replicationGroupId: string): string {
  return member.slice(replicationGroupId.length + 1);
}

/** One alarm, ready to create: a definition with its metric, level and place. */
interface AlarmSpec extends Omit<AlarmDefinition, 'threshold' | 'scale'> {
  readonly id: string;
  readonly metric: cloudwatch.IMetric;
  /** Where, in words (no tokens: descriptions stay plain strings). */
  readonly where: string;
  readonly threshold: number;
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
  /** Every alarm level, settled. */
  public readonly thresholds: ResolvedThresholds;
  public readonly memberIds: readonly string[];
  public readonly namePrefix: string;

  private readonly byId = new Map<string, cloudwatch.Alarm>();
  /** Where the descriptions' on-call commands point: this stack, in its region. */
  private readonly oncall: OncallTarget;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const s = settle(props);
    this.namePrefix = props.namePrefix ?? Stack.of(this).stackName;
    this.oncall = this.oncallTarget();
    this.thresholds = settleThresholds(props.thresholds ?? {}, {
      alarmCacheHostCpuPercent: () => this.hostCpuPercent(props.cacheNodeType),
      // Each task's clients, doubled for deploys (200 % max healthy), plus room for tooling.
      alarmCacheConnectionsMax: () => s.maxTasks * 2 * s.clientsPerTask + 50,
    });
    this.memberIds = props.cacheMemberIds ?? cacheMemberIds(props.replicationGroupId, s.numCacheClusters);
    throwPropsProblems(this, monitoringProblems(props, s, this.thresholds, this.memberIds));

    this.topicKey = this.createTopicKey();
    this.pagingTopic = this.topic('PagingTopic', 'paging', props.alarmEmails ?? [], props.alarmHttpsEndpoints ?? []);
    this.warningTopic = this.topic('WarningTopic', 'warnings', props.warningEmails ?? [], props.warningHttpsEndpoints ?? []);

    const requestLatency = hasRequestLatencyMetrics(s.cacheEngine, s.cacheEngineVersion);
    const replicaCapable = replicaCapableMembers(this.memberIds);
    for (const member of this.memberIds) {
      this.addNodeAlarms(member, props.replicationGroupId, { requestLatency, replicaCapable: replicaCapable.has(member) });
    }
    const metrics: ServiceAlarmMetrics = {
      ecs: ecsServiceMetrics(props.ecsCluster.clusterName, props.service.serviceName),
      alb: albMetrics(props.loadBalancer.loadBalancerFullName, props.targetGroup.targetGroupFullName),
      svc: serviceMetrics(props.metricsServiceName),
    };
    const where = { ecs: 'the ECS service', targets: 'the target group', alb: 'the ALB', service: `service ${props.metricsServiceName}` };
    for (const { metric, where: place, ...definition } of SERVICE_ALARMS) {
      this.alarm({ ...definition, metric: metric(metrics), where: where[place], threshold: this.level(definition, s.minTasks) });
    }
    this.alarms = this.byId;

    this.serviceImpaired = this.addPagingAlarm(props.replicationGroupId, s.minTasks);
    this.dashboard = this.buildDashboard({ ...metrics, requestLatency });
  }

  /** This stack and its region, which the descriptions name as plain text: an environment-agnostic stack has no region to name. */
  private oncallTarget(): OncallTarget {
    const { stackName, region } = Stack.of(this);
    if (Token.isUnresolved(region)) {
      throw new PropsValidationError(
        this,
        "the stack needs a concrete region (env.region): alarm descriptions name it in each on-call command's --region",
      );
    }
    return { stack: stackName, region };
  }

  /** The host-CPU level the node type's vCPUs give; an unknown type needs an explicit level. */
  private hostCpuPercent(cacheNodeType: string): number {
    const vcpus = cacheNodeVcpus(cacheNodeType);
    if (vcpus === undefined) {
      throw new PropsValidationError(
        this,
        `cacheNodeType "${cacheNodeType}" is not in the vCPU table (infra/monitoring-cache.ts); ` +
          'add it or set thresholds.alarmCacheHostCpuPercent',
      );
    }
    return hostCpuThresholdPercent(vcpus);
  }

  /** The level a definition compares with. */
  private level(definition: Pick<AlarmDefinition, 'threshold' | 'scale'>, minTasks: number): number {
    const { threshold, scale = 1 } = definition;
    if (typeof threshold === 'number') return threshold;
    return (threshold === 'minTasks' ? minTasks : this.thresholds[threshold]) * scale;
  }

  /** The per-node alarms of one member: those whose `only` the node meets. */
  private addNodeAlarms(member: string, replicationGroupId: string, node: Record<'requestLatency' | 'replicaCapable', boolean>): void {
    const metrics = cacheNodeMetrics(member);
    const n = nodeSuffix(member, replicationGroupId);
    for (const { metric, only, ...definition } of NODE_ALARMS) {
      if (only !== undefined && !node[only]) continue;
      this.alarm({
        ...definition,
        id: `${definition.id}-${n}`,
        metric: metric(metrics),
        where: `node ${member}`,
        threshold: this.level(definition, 0),
      });
    }
  }

  /** The one paging alarm: any of its children in ALARM. */
  private addPagingAlarm(replicationGroupId: string, minTasks: number): cloudwatch.CompositeAlarm {
    const nodeIds = (id: string) => this.memberIds.map((member) => `${id}-${nodeSuffix(member, replicationGroupId)}`);
    const children = [...PAGING_CHILDREN.service, ...PAGING_CHILDREN.node.flatMap(nodeIds)].map((id) => {
      const alarm = this.byId.get(id);
      if (alarm === undefined) throw new Error(`Monitoring: no alarm ${id} for the paging rule`);
      return alarm;
    });
    const th = this.thresholds;
    const alarm = new cloudwatch.CompositeAlarm(this, 'ServiceImpaired', {
      compositeAlarmName: `${this.namePrefix}-ServiceImpaired`,
      alarmRule: cloudwatch.AlarmRule.anyOf(...children.map((a) => cloudwatch.AlarmRule.fromAlarm(a, cloudwatch.AlarmState.ALARM))),
      alarmDescription: alarmDescription(
        'PAGING',
        `any of: running tasks below ${minTasks}, no healthy ALB target, ALB 5xx above ${th.alarmElb5xxPerMinute}/min, ` +
          `Redis engine CPU above ${th.alarmCacheEngineCpuCriticalPercent} % or pub/sub latency above ` +
          `${th.alarmCachePubSubLatencyCriticalMicros} µs on a node.`,
        STORIES.serviceImpaired,
        this.oncall,
      ),
    });
    this.notify(alarm, 'PAGING');
    return alarm;
  }

  /** Where notifications go: the one place that adds alarm and OK actions. */
  private notify(alarm: cloudwatch.AlarmBase, severity: Severity): void {
    const action = new cwActions.SnsAction(severity === 'PAGING' ? this.pagingTopic : this.warningTopic);
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
  }

  private alarm(spec: AlarmSpec): cloudwatch.Alarm {
    const comparison = spec.comparison ?? cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD;
    const condition =
      `${spec.shows} ${COMPARISON_TEXT[comparison]} ${spec.threshold}${spec.unit ?? ''} ` +
      `for ${spec.datapoints} of ${spec.periods} min on ${spec.where}.`;
    const alarm = new cloudwatch.Alarm(this, spec.id, {
      alarmName: `${this.namePrefix}-${spec.id}`,
      alarmDescription: alarmDescription('WARNING', condition, spec.story, this.oncall),
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

  /**
   * CloudWatch cannot use the AWS-managed aws/sns key (its policy cannot admit CloudWatch), so the
   * topics share one customer-managed key that does.
   */
  private createTopicKey(): kms.Key {
    const key = new kms.Key(this, 'TopicKey', {
      description: `${this.namePrefix} alarm topics`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
    return key;
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

  private buildDashboard(m: ServiceAlarmMetrics & { requestLatency: boolean }): cloudwatch.Dashboard {
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
        m.ecs.runningTasksMinCount.with({ label: 'running' }),
        m.ecs.desiredTasksMaxCount.with({ label: 'desired' }),
      ]),
      graph('Tasks: CPU and memory (%)', [m.ecs.cpuAvgPercent.with({ label: 'CPU' }), m.ecs.memoryAvgPercent.with({ label: 'memory' })]),
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
    dashboard.addWidgets(
      graph('Abuse guards per minute', [
        m.svc.handshakesRefusedSumCount.with({ label: 'handshakes refused' }),
        m.svc.connectionsClosedByGuardSumCount.with({ label: 'connections closed by guard' }),
      ]),
      graph('Backend API requests per minute', [
        m.svc.api2xxSumCount.with({ label: '2xx' }),
        m.svc.api4xxSumCount.with({ label: '4xx' }),
        m.svc.apiUnauthorizedSumCount.with({ label: '401' }),
        m.svc.apiThrottledSumCount.with({ label: '429' }),
        m.svc.api5xxSumCount.with({ label: '5xx' }),
      ]),
      graph(
        'Backend API publish latency (ms, p99), presence time-outs',
        [m.svc.apiPublishLatencyP99Ms.with({ label: 'publish p99 ms' })],
        [m.svc.presenceTimeoutsSumCount.with({ label: 'presence time-outs' })],
      ),
    );
    return dashboard;
  }
}
