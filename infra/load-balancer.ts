import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { DEFAULT_DRAIN_TIMEOUT_MS, DEFAULT_PING_INTERVAL_MS, DEFAULT_PING_TIMEOUT_MS } from '../contract/env';
import { DEFAULT_STICKINESS_DURATION_MS } from '../contract/load-balancer';
import { Format, formatProblem, intRangeProblem, Problem, Range, throwPropsProblems } from './validation';

/** Defaults of the props: LoadBalancer settles each with `??`; the deployment config's defaults read them too. */
export const LOAD_BALANCER_DEFAULTS = {
  sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
  idleTimeout: Duration.seconds(120),
  /** Socket.IO's default heartbeat: pingInterval + pingTimeout. */
  minIdleTimeout: Duration.millis(DEFAULT_PING_INTERVAL_MS + DEFAULT_PING_TIMEOUT_MS),
  /**
   * 345 s: the ALB resets the lb_cookie's expiry after every request, so it must outlast the
   * longest gap between two requests of a live session, Socket.IO's heartbeat (45 s), plus how far
   * a browser's clock may run ahead of the ALB's (5 min; the cookie's Expires is absolute). Longer
   * only sends reconnecting clients back to their old task after a scale-out: a day kept every
   * client that reconnected within a day of its last request on the task it had
   * (contract/load-balancer.ts, docs/deploy.md).
   */
  stickinessDuration: Duration.millis(DEFAULT_STICKINESS_DURATION_MS),
  /** The service's default drain. */
  deregistrationDelay: Duration.millis(DEFAULT_DRAIN_TIMEOUT_MS),
  healthCheckPath: '/readyz',
  accessLogExpiration: Duration.days(90),
  accessLogRemovalPolicy: RemovalPolicy.RETAIN,
} as const;

/** What the ALB accepts, checked here and by the deployment config's schema. */
export const LOAD_BALANCER_LIMITS = {
  idleTimeoutSeconds: { min: 1, max: 4000 },
  /** lb_cookie lifetime: one second to seven days. */
  stickinessDurationSeconds: { min: 1, max: 604_800 },
  deregistrationDelaySeconds: { min: 0, max: 3600 },
  accessLogExpirationDays: { min: 1, max: 3650 },
  /** CIDRs admitted to the backend API: one /api/* rule per API_CIDRS_PER_RULE of them, at most ten rules. */
  apiAllowedCidrs: { min: 0, max: 30 },
} as const satisfies Record<string, Range>;

/** The backend API's path (docs/api.md), as an ALB path pattern. */
export const API_PATH_PATTERN = '/api/*';
/**
 * An ALB rule takes at most three values per condition and five per rule (the path pattern is
 * one): https://docs.aws.amazon.com/elasticloadbalancing/latest/application/rule-condition-types.html
 */
export const API_CIDRS_PER_RULE = 3;
/** Priorities of the API rules: the forwarding rules from here, the 404 for everyone else after them. */
export const API_RULE_PRIORITY = { firstAllow: 10, deny: 100 } as const;
/** An IPv4 or IPv6 CIDR, as the ALB's source-ip condition takes it. */
export const CIDR_FORMAT = {
  pattern: /^((\d{1,3}\.){3}\d{1,3}\/\d{1,2}|[0-9a-fA-F:]+:[0-9a-fA-F:]*\/\d{1,3})$/,
  text: 'CIDRs such as 203.0.113.0/24 or 2001:db8::/32',
} as const satisfies Format;

/**
 * The stickiness must outlast Socket.IO's heartbeat too: a polling session's requests can be a
 * heartbeat apart, and a request after the cookie expired goes to a task that does not know the session.
 */
export function stickinessProblem(stickiness: Duration, minIdleTimeout: Duration): Problem {
  return stickiness.toMilliseconds() <= minIdleTimeout.toMilliseconds()
    ? `stickinessDuration (${stickiness.toSeconds({ integral: false })} s) must be above minIdleTimeout ` +
        `(${minIdleTimeout.toMilliseconds() / 1000} s), or long-polling sessions lose their task between heartbeats`
    : undefined;
}

/**
 * The idle timeout must outlast Socket.IO's heartbeat (pingInterval + pingTimeout), or the ALB
 * cuts idle connections between heartbeats. Takes the names its caller knows the values by.
 */
export function idleTimeoutProblem(
  idleTimeout: Duration,
  minIdleTimeout: Duration,
  names = { idleTimeout: 'idleTimeout', minIdleTimeout: 'minIdleTimeout' },
): Problem {
  return idleTimeout.toMilliseconds() <= minIdleTimeout.toMilliseconds()
    ? `${names.idleTimeout} (${idleTimeout.toSeconds({ integral: false })} s) must be above ${names.minIdleTimeout} ` +
        `(${minIdleTimeout.toMilliseconds() / 1000} s), or idle Socket.IO connections are cut between heartbeats`
    : undefined;
}

export interface LoadBalancerProps {
  /** VPC whose public subnets hold the ALB. */
  readonly vpc: ec2.IVpc;
  /** Port the targets listen on. */
  readonly targetPort: number;
  /** ACM certificate ARN; with it the ALB serves HTTPS and HTTP redirects to it. @default - HTTP only */
  readonly certificateArn?: string;
  /** TLS policy of the HTTPS listener. @default SslPolicy.RECOMMENDED_TLS (TLS 1.3 and 1.2) */
  readonly sslPolicy?: elbv2.SslPolicy;
  /** Idle timeout; must exceed `minIdleTimeout`. @default Duration.seconds(120) */
  readonly idleTimeout?: Duration;
  /** Lower bound (exclusive) of idleTimeout: Socket.IO's pingInterval + pingTimeout. @default Duration.seconds(45) */
  readonly minIdleTimeout?: Duration;
  /** Lifetime of the lb_cookie stickiness cookie, idle (the ALB renews it with every request); above `minIdleTimeout`. @default 345 s */
  readonly stickinessDuration?: Duration;
  /** How long a deregistering target keeps its connections; align with the service's drain. @default Duration.seconds(20) */
  readonly deregistrationDelay?: Duration;
  /** Health check path: readiness, 200 also while Redis reconnects. @default '/readyz' */
  readonly healthCheckPath?: string;
  /** Expiry of the access log objects. @default Duration.days(90) */
  readonly accessLogExpiration?: Duration;
  /** Fate of the access log bucket when removed from the stack. @default RemovalPolicy.RETAIN */
  readonly accessLogRemovalPolicy?: RemovalPolicy;
  /** Source CIDRs that may reach /api/*; others get a 404 from the ALB. @default - the API is open to all (it still needs a key) */
  readonly apiAllowedCidrs?: readonly string[];
}

/** A public ALB with access logs, and the sticky target group of the Socket.IO tasks. */
export class LoadBalancer extends Construct {
  public readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  public readonly targetGroup: elbv2.ApplicationTargetGroup;
  public readonly httpListener: elbv2.ApplicationListener;
  /** Present with a certificate. */
  public readonly httpsListener?: elbv2.ApplicationListener;
  public readonly accessLogBucket: s3.Bucket;
  /** `https://` or `http://` plus the ALB's DNS name. */
  public readonly url: string;

  constructor(scope: Construct, id: string, props: LoadBalancerProps) {
    super(scope, id);
    const d = LOAD_BALANCER_DEFAULTS;
    const idleTimeout = props.idleTimeout ?? d.idleTimeout;
    const minIdleTimeout = props.minIdleTimeout ?? d.minIdleTimeout;
    const deregistrationDelay = props.deregistrationDelay ?? d.deregistrationDelay;
    const stickinessDuration = props.stickinessDuration ?? d.stickinessDuration;
    const accessLogExpiration = props.accessLogExpiration ?? d.accessLogExpiration;
    const limits = LOAD_BALANCER_LIMITS;
    throwPropsProblems(this, [
      intRangeProblem('idleTimeout (s)', idleTimeout.toSeconds({ integral: false }), limits.idleTimeoutSeconds),
      idleTimeoutProblem(idleTimeout, minIdleTimeout),
      intRangeProblem('deregistrationDelay (s)', deregistrationDelay.toSeconds({ integral: false }), limits.deregistrationDelaySeconds),
      intRangeProblem('stickinessDuration (s)', stickinessDuration.toSeconds({ integral: false }), limits.stickinessDurationSeconds),
      stickinessProblem(stickinessDuration, minIdleTimeout),
      intRangeProblem('accessLogExpiration (days)', accessLogExpiration.toDays({ integral: false }), limits.accessLogExpirationDays),
      props.sslPolicy !== undefined && props.certificateArn === undefined
        ? 'sslPolicy needs certificateArn (there is no HTTPS listener without one)'
        : undefined,
      ...apiCidrProblems(props.apiAllowedCidrs ?? []),
    ]);

    this.accessLogBucket = new s3.Bucket(this, 'AccessLogs', {
      // ALB log delivery supports SSE-S3 only.
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      lifecycleRules: [{ expiration: accessLogExpiration }],
      removalPolicy: props.accessLogRemovalPolicy ?? d.accessLogRemovalPolicy,
    });
    Validations.of(this.accessLogBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This bucket is itself the access log destination; logging its own access would need another log bucket for no audit gain.',
    });

    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'Alb', {
      vpc: props.vpc,
      internetFacing: true,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      idleTimeout,
      dropInvalidHeaderFields: true,
    });
    this.loadBalancer.logAccessLogs(this.accessLogBucket, 'alb');
    Validations.of(this.loadBalancer).acknowledge({
      id: 'AwsSolutions-EC23',
      reason: 'A public Socket.IO endpoint: the ALB security group admits the listener ports (80/443) from anywhere, nothing else.',
    });

    this.targetGroup = new elbv2.ApplicationTargetGroup(this, 'Targets', {
      vpc: props.vpc,
      port: props.targetPort,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targetType: elbv2.TargetType.IP,
      stickinessCookieDuration: stickinessDuration,
      deregistrationDelay,
      healthCheck: {
        path: props.healthCheckPath ?? d.healthCheckPath,
        healthyHttpCodes: '200',
        interval: Duration.seconds(10),
        timeout: Duration.seconds(5),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 3,
      },
    });

    if (props.certificateArn !== undefined) {
      this.httpsListener = this.loadBalancer.addListener('Https', {
        port: 443,
        protocol: elbv2.ApplicationProtocol.HTTPS,
        certificates: [elbv2.ListenerCertificate.fromArn(props.certificateArn)],
        sslPolicy: props.sslPolicy ?? d.sslPolicy,
        defaultTargetGroups: [this.targetGroup],
      });
      this.httpListener = this.loadBalancer.addListener('Http', {
        port: 80,
        protocol: elbv2.ApplicationProtocol.HTTP,
        defaultAction: elbv2.ListenerAction.redirect({ protocol: 'HTTPS', port: '443', permanent: true }),
      });
    } else {
      this.httpListener = this.loadBalancer.addListener('Http', {
        port: 80,
        protocol: elbv2.ApplicationProtocol.HTTP,
        defaultTargetGroups: [this.targetGroup],
      });
    }
    this.url = `${props.certificateArn !== undefined ? 'https' : 'http'}://${this.loadBalancer.loadBalancerDnsName}`;
    this.restrictApi(this.httpsListener ?? this.httpListener, props.apiAllowedCidrs ?? []);
  }

  /**
   * With allowed CIDRs, /api/* from them is forwarded (one rule per three CIDRs) and from anyone
   * else answered 404 by the ALB, in the API's own error shape, before it reaches a task.
   */
  private restrictApi(listener: elbv2.ApplicationListener, cidrs: readonly string[]): void {
    if (cidrs.length === 0) return;
    for (let i = 0; i * API_CIDRS_PER_RULE < cidrs.length; i++) {
      new elbv2.ApplicationListenerRule(this, `ApiAllow${i + 1}`, {
        listener,
        priority: API_RULE_PRIORITY.firstAllow + i,
        conditions: [
          elbv2.ListenerCondition.pathPatterns([API_PATH_PATTERN]),
          elbv2.ListenerCondition.sourceIps(cidrs.slice(i * API_CIDRS_PER_RULE, (i + 1) * API_CIDRS_PER_RULE)),
        ],
        action: elbv2.ListenerAction.forward([this.targetGroup]),
      });
    }
    new elbv2.ApplicationListenerRule(this, 'ApiDeny', {
      listener,
      priority: API_RULE_PRIORITY.deny,
      conditions: [elbv2.ListenerCondition.pathPatterns([API_PATH_PATTERN])],
      action: elbv2.ListenerAction.fixedResponse(404, {
        contentType: 'application/json',
        messageBody: JSON.stringify({ ok: false, error: { code: 'not_found', message: 'not found' } }),
      }),
    });
  }
}

/** Each CIDR well-formed, and few enough for the rules' priorities (API_RULE_PRIORITY). */
export function apiCidrProblems(cidrs: readonly string[], name = 'apiAllowedCidrs'): Problem[] {
  const { max } = LOAD_BALANCER_LIMITS.apiAllowedCidrs;
  return [
    cidrs.length > max
      ? `${name} takes at most ${max} CIDRs (${API_CIDRS_PER_RULE} per ALB rule, at most ${max / API_CIDRS_PER_RULE} rules), ` +
        `got ${cidrs.length}`
      : undefined,
    ...cidrs.map((cidr) => formatProblem(name, cidr, CIDR_FORMAT)),
  ];
}
