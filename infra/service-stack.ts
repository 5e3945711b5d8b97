import { CfnOutput, Duration, RemovalPolicy, Stack, StackProps, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { SERVICE_STACK_OUTPUTS } from '../contract/stack';
import { LOAD_BALANCER_DEFAULTS, LoadBalancer, LoadBalancerProps } from './load-balancer';
import { MonitoredCache, Monitoring, MonitoringSettings } from './monitoring';
import { WebAcl } from './web-acl';
import { SOCKET_SERVICE_DEFAULTS, SocketService, SocketServiceAuth, SocketServiceProps } from './socket-service';
import { deregistrationDelay } from './task-drain';

/** Defaults of the props the stack itself owns (the rest are SocketService's and LoadBalancer's). */
export const SERVICE_STACK_DEFAULTS = {
  secretsRemovalPolicy: RemovalPolicy.DESTROY,
} as const;

/** The service's settings are SocketService's, the ALB's are LoadBalancer's: documented there. */
export interface ServiceStackProps
  extends
    StackProps,
    Omit<SocketServiceProps, 'securityGroup' | 'targetGroup' | 'auth'>,
    Pick<LoadBalancerProps, 'certificateArn' | 'idleTimeout' | 'stickinessDuration' | 'accessLogExpiration' | 'apiAllowedCidrs'> {
  /** Security group of the tasks (from the network stack). */
  readonly serviceSecurityGroup: ec2.ISecurityGroup;
  /** JWT handshake auth; without a jwksUrl the stack generates an HS256 secret. @default - no auth */
  readonly auth?: Omit<SocketServiceAuth, 'signingSecret'>;
  /** The replication group the tasks use: watched by the alarms, named in the outputs. */
  readonly cache: MonitoredCache;
  /** AWS WAF on the ALB, with its per-IP limit on /socket.io/. @default - no WAF */
  readonly waf?: { readonly socketIoRequestsPerIp?: number };
  /** Alarm thresholds and topic subscribers. @default the Monitoring defaults, no subscribers */
  readonly monitoring?: MonitoringSettings;
  /** Fate of the HS256 signing secret and the API keys secret when removed from the stack. @default RemovalPolicy.DESTROY */
  readonly secretsRemovalPolicy?: RemovalPolicy;
}

/** The stateless part: ALB, ECS cluster, Fargate service and its autoscaling. */
export class ServiceStack extends Stack {
  public readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  public readonly targetGroup: elbv2.ApplicationTargetGroup;
  public readonly ecsCluster: ecs.Cluster;
  public readonly service: ecs.FargateService;
  public readonly logGroup: logs.LogGroup;
  public readonly metricsServiceName: string;
  public readonly socketService: SocketService;
  public readonly monitoring: Monitoring;
  public readonly url: string;

  constructor(scope: Construct, id: string, props: ServiceStackProps) {
    super(scope, id, props);
    // The ALB follows the service's heartbeat and drain, so the three are settled here for both.
    const drainTimeout = props.drainTimeout ?? SOCKET_SERVICE_DEFAULTS.drainTimeout;
    const pingInterval = props.pingInterval ?? SOCKET_SERVICE_DEFAULTS.pingInterval;
    const pingTimeout = props.pingTimeout ?? SOCKET_SERVICE_DEFAULTS.pingTimeout;
    const maxTasks = props.maxTasks ?? SOCKET_SERVICE_DEFAULTS.maxTasks;
    const drainSpread = props.drainSpread ?? SOCKET_SERVICE_DEFAULTS.drainSpread;
    const idleTimeout = props.idleTimeout ?? LOAD_BALANCER_DEFAULTS.idleTimeout;

    const lb = new LoadBalancer(this, 'LoadBalancer', {
      vpc: props.vpc,
      targetPort: props.containerPort ?? SOCKET_SERVICE_DEFAULTS.containerPort,
      certificateArn: props.certificateArn,
      idleTimeout,
      minIdleTimeout: Duration.millis(pingInterval.toMilliseconds() + pingTimeout.toMilliseconds()),
      stickinessDuration: props.stickinessDuration,
      // Long enough for a deregistering task to see it drain and move every client before the ALB closes the rest.
      deregistrationDelay: deregistrationDelay({ maxTasks, drainSpread }),
      accessLogExpiration: props.accessLogExpiration,
      apiAllowedCidrs: props.apiAllowedCidrs,
    });
    // Token issuers and backends hold these values: a retained secret survives a stray destroy.
    const secretsRemovalPolicy = props.secretsRemovalPolicy ?? SERVICE_STACK_DEFAULTS.secretsRemovalPolicy;
    const signingSecret = props.auth && !props.auth.jwksUrl ? this.createSigningSecret(secretsRemovalPolicy) : undefined;
    const apiKeysSecret = this.createApiKeysSecret(secretsRemovalPolicy);

    const {
      serviceSecurityGroup,
      auth,
      certificateArn: _c,
      idleTimeout: _i,
      stickinessDuration: _s,
      accessLogExpiration: _a,
      apiAllowedCidrs: _api,
      waf,
      secretsRemovalPolicy: _r,
      ...service
    } = props;
    this.socketService = new SocketService(this, 'SocketIo', {
      ...service,
      securityGroup: serviceSecurityGroup,
      targetGroup: lb.targetGroup,
      auth: auth && { ...auth, signingSecret },
      apiKeysSecret,
      pingInterval,
      pingTimeout,
      drainTimeout,
      drainSpread,
      albIdleTimeout: idleTimeout,
    });

    this.loadBalancer = lb.loadBalancer;
    this.targetGroup = lb.targetGroup;
    this.ecsCluster = this.socketService.ecsCluster;
    this.service = this.socketService.service;
    this.logGroup = this.socketService.logGroup;
    this.metricsServiceName = this.socketService.metricsServiceName;
    this.url = lb.url;
    if (waf) new WebAcl(this, 'Waf', { ...waf, loadBalancerArn: this.loadBalancer.loadBalancerArn, metricPrefix: this.stackName });

    this.monitoring = new Monitoring(this, 'Monitoring', {
      ...props.monitoring,
      ...props.cache,
      service: this.service,
      ecsCluster: this.ecsCluster,
      targetGroup: this.targetGroup,
      loadBalancer: this.loadBalancer,
      metricsServiceName: this.metricsServiceName,
      minTasks: props.minTasks,
      maxTasks: props.maxTasks,
    });
    this.addOutputs(props.cache);
  }

  /** Token issuers sign with this secret; a JWKS issuer (Cognito, Auth0) needs none. */
  private createSigningSecret(removalPolicy: RemovalPolicy): secretsmanager.Secret {
    const secret = new secretsmanager.Secret(this, 'AuthJwtSecret', {
      description: 'HS256 secret that handshake tokens are signed with',
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
      removalPolicy,
    });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Rotating the signing secret invalidates every token in flight; it is rotated with the token issuer, as a planned runbook step.',
    });
    new CfnOutput(this, SERVICE_STACK_OUTPUTS.authJwtSecretArn, {
      description: 'Secrets Manager secret that handshake JWTs are signed with (HS256)',
      value: secret.secretArn,
    });
    return secret;
  }

  /**
   * The backend API's keys (docs/api.md): one generated key to start with. To rotate, set the value
   * to `new,old`, move the backends to the new key, then set it to `new`; tasks read it when they start.
   */
  private createApiKeysSecret(removalPolicy: RemovalPolicy): secretsmanager.Secret {
    const secret = new secretsmanager.Secret(this, 'ApiKeysSecret', {
      description: 'Backend API keys (API_KEYS): comma-separated, each at least 32 characters',
      // No punctuation: a comma would split the key, and the key goes into an Authorization header.
      generateSecretString: { passwordLength: 48, excludePunctuation: true, includeSpace: false },
      removalPolicy,
    });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: 'A rotated API key must reach every backend first; it is rotated by the documented two-key step, not by a Lambda.',
    });
    new CfnOutput(this, SERVICE_STACK_OUTPUTS.apiKeysSecretArn, {
      description: 'Secrets Manager secret holding the backend API keys (API_KEYS), comma-separated',
      value: secret.secretArn,
    });
    return secret;
  }

  /** What the on-call CLI reads, by the same names (contract/stack.ts). */
  private addOutputs(cache: MonitoredCache): void {
    const outputs: [keyof typeof SERVICE_STACK_OUTPUTS, string, string][] = [
      ['serviceUrl', 'Public URL of the Socket.IO service', this.url],
      ['replicationGroupId', 'ElastiCache replication group id', cache.replicationGroupId],
      ['numCacheClusters', 'Members of the replication group', String(this.monitoring.memberIds.length)],
      ['cacheMemberIds', 'CacheClusterId of every member node, comma-separated', this.monitoring.memberIds.join(',')],
      ['ecsClusterName', 'ECS cluster of the service', this.ecsCluster.clusterName],
      ['ecsServiceName', 'ECS service name', this.service.serviceName],
      ['metricsServiceName', 'ServiceName dimension of the custom metrics', this.metricsServiceName],
      ['dashboardName', 'CloudWatch dashboard', this.monitoring.dashboard.dashboardName],
      ['pagingTopicArn', 'SNS topic of the paging alarm', this.monitoring.pagingTopic.topicArn],
      ['warningTopicArn', 'SNS topic of the warning alarms', this.monitoring.warningTopic.topicArn],
    ];
    for (const [key, description, value] of outputs) new CfnOutput(this, SERVICE_STACK_OUTPUTS[key], { description, value });
  }
}
