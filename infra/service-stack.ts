import { CfnOutput, Duration, Stack, StackProps, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { SERVICE_STACK_OUTPUTS } from '../contract/stack';
import { DEFAULT_DRAIN_TIMEOUT_MS, DEFAULT_PING_INTERVAL_MS, DEFAULT_PING_TIMEOUT_MS, DEFAULT_PORT } from '../contract/env';
import { LoadBalancer, LoadBalancerProps } from './load-balancer';
import { MonitoredCache, Monitoring, MonitoringSettings } from './monitoring';
import { SocketService, SocketServiceAuth, SocketServiceProps } from './socket-service';

/** The service's settings are SocketService's, the ALB's are LoadBalancer's: documented there. */
export interface ServiceStackProps
  extends
    StackProps,
    Omit<SocketServiceProps, 'securityGroup' | 'targetGroup' | 'auth'>,
    Pick<LoadBalancerProps, 'certificateArn' | 'idleTimeout' | 'stickinessDuration' | 'accessLogExpiration'> {
  /** Security group of the tasks (from the network stack). */
  readonly serviceSecurityGroup: ec2.ISecurityGroup;
  /** JWT handshake auth; without a jwksUrl the stack generates an HS256 secret. @default - no auth */
  readonly auth?: Omit<SocketServiceAuth, 'signingSecret'>;
  /** The replication group the tasks use: watched by the alarms, named in the outputs. */
  readonly cache: MonitoredCache;
  /** Alarm thresholds and topic subscribers. @default the Monitoring defaults, no subscribers */
  readonly monitoring?: MonitoringSettings;
}

/** The stateless part: ALB, ECS cluster, Fargate service and its autoscaling. */
export class ServiceStack extends Stack {
  public readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  public readonly targetGroup: elbv2.ApplicationTargetGroup;
  public readonly cluster: ecs.Cluster;
  public readonly service: ecs.FargateService;
  public readonly logGroup: logs.LogGroup;
  public readonly metricsServiceName: string;
  public readonly socketService: SocketService;
  public readonly monitoring: Monitoring;
  public readonly url: string;

  constructor(scope: Construct, id: string, props: ServiceStackProps) {
    super(scope, id, props);
    const drainTimeout = props.drainTimeout ?? Duration.millis(DEFAULT_DRAIN_TIMEOUT_MS);
    const pingInterval = props.pingInterval ?? Duration.millis(DEFAULT_PING_INTERVAL_MS);
    const pingTimeout = props.pingTimeout ?? Duration.millis(DEFAULT_PING_TIMEOUT_MS);

    const lb = new LoadBalancer(this, 'LoadBalancer', {
      vpc: props.vpc,
      targetPort: props.containerPort ?? DEFAULT_PORT,
      certificateArn: props.certificateArn,
      idleTimeout: props.idleTimeout,
      minIdleTimeout: Duration.millis(pingInterval.toMilliseconds() + pingTimeout.toMilliseconds()),
      stickinessDuration: props.stickinessDuration,
      // Keep a deregistering task's sockets for the whole drain.
      deregistrationDelay: Duration.seconds(Math.ceil(drainTimeout.toMilliseconds() / 1000)),
      accessLogExpiration: props.accessLogExpiration,
    });

    // Token issuers sign with this secret; a JWKS issuer (Cognito, Auth0) needs none.
    const signingSecret =
      props.auth && !props.auth.jwksUrl
        ? new secretsmanager.Secret(this, 'AuthJwtSecret', {
            description: 'HS256 secret that handshake tokens are signed with',
            generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
          })
        : undefined;
    if (signingSecret) {
      Validations.of(signingSecret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'Rotating the signing secret invalidates every token in flight; it is rotated with the token issuer, as a planned runbook step.',
      });
      new CfnOutput(this, SERVICE_STACK_OUTPUTS.authJwtSecretArn, {
        description: 'Secrets Manager secret that handshake JWTs are signed with (HS256)',
        value: signingSecret.secretArn,
      });
    }

    const {
      serviceSecurityGroup,
      auth,
      certificateArn: _c,
      idleTimeout: _i,
      stickinessDuration: _s,
      accessLogExpiration: _a,
      ...service
    } = props;
    this.socketService = new SocketService(this, 'SocketIo', {
      ...service,
      securityGroup: serviceSecurityGroup,
      targetGroup: lb.targetGroup,
      auth: auth && { ...auth, signingSecret },
      pingInterval,
      pingTimeout,
      drainTimeout,
    });

    this.loadBalancer = lb.loadBalancer;
    this.targetGroup = lb.targetGroup;
    this.cluster = this.socketService.cluster;
    this.service = this.socketService.service;
    this.logGroup = this.socketService.logGroup;
    this.metricsServiceName = this.socketService.metricsServiceName;
    this.url = lb.url;

    this.monitoring = new Monitoring(this, 'Monitoring', {
      ...props.monitoring,
      ...props.cache,
      service: this.service,
      cluster: this.cluster,
      targetGroup: this.targetGroup,
      loadBalancer: this.loadBalancer,
      metricsServiceName: this.metricsServiceName,
      minTasks: props.minTasks,
      maxTasks: props.maxTasks,
    });

    new CfnOutput(this, SERVICE_STACK_OUTPUTS.serviceUrl, { description: 'Public URL of the Socket.IO service', value: this.url });
    // The on-call CLI reads these by the same names (contract/stack.ts).
    new CfnOutput(this, SERVICE_STACK_OUTPUTS.replicationGroupId, {
      description: 'ElastiCache replication group id',
      value: props.cache.replicationGroupId,
    });
    new CfnOutput(this, SERVICE_STACK_OUTPUTS.numCacheClusters, {
      description: 'Members of the replication group',
      value: String(this.monitoring.memberIds.length),
    });
    new CfnOutput(this, SERVICE_STACK_OUTPUTS.cacheMemberIds, {
      description: 'CacheClusterId of every member node, comma-separated',
      value: this.monitoring.memberIds.join(','),
    });
    new CfnOutput(this, SERVICE_STACK_OUTPUTS.ecsClusterName, {
      description: 'ECS cluster of the service',
      value: this.cluster.clusterName,
    });
    new CfnOutput(this, SERVICE_STACK_OUTPUTS.ecsServiceName, { description: 'ECS service name', value: this.service.serviceName });
    new CfnOutput(this, SERVICE_STACK_OUTPUTS.metricsServiceName, {
      description: 'ServiceName dimension of the custom metrics',
      value: this.metricsServiceName,
    });
    new CfnOutput(this, SERVICE_STACK_OUTPUTS.dashboardName, {
      description: 'CloudWatch dashboard',
      value: this.monitoring.dashboard.dashboardName,
    });
    new CfnOutput(this, SERVICE_STACK_OUTPUTS.pagingTopicArn, {
      description: 'SNS topic of the paging alarm',
      value: this.monitoring.pagingTopic.topicArn,
    });
    new CfnOutput(this, SERVICE_STACK_OUTPUTS.warningTopicArn, {
      description: 'SNS topic of the warning alarms',
      value: this.monitoring.warningTopic.topicArn,
    });
  }
}
