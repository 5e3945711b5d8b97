import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

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
  /** Lifetime of the lb_cookie stickiness cookie. @default Duration.days(1) */
  readonly stickinessDuration?: Duration;
  /** How long a deregistering target keeps its connections; align with the service's drain. @default Duration.seconds(20) */
  readonly deregistrationDelay?: Duration;
  /** Health check path: readiness, 200 also while Redis reconnects. @default '/readyz' */
  readonly healthCheckPath?: string;
  /** Expiry of the access log objects. @default Duration.days(90) */
  readonly accessLogExpiration?: Duration;
  /** Fate of the access log bucket when removed from the stack. @default RemovalPolicy.RETAIN */
  readonly accessLogRemovalPolicy?: RemovalPolicy;
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
    const idleTimeout = props.idleTimeout ?? Duration.seconds(120);
    const minIdleTimeout = props.minIdleTimeout ?? Duration.seconds(45);
    const deregistrationDelay = props.deregistrationDelay ?? Duration.seconds(20);
    if (idleTimeout.toMilliseconds() <= minIdleTimeout.toMilliseconds()) {
      throw new Error(
        `LoadBalancer: idleTimeout (${idleTimeout.toSeconds()} s) must be above minIdleTimeout (${minIdleTimeout.toSeconds()} s), or idle Socket.IO connections are cut between heartbeats`,
      );
    }
    if (deregistrationDelay.toSeconds() > 3600) {
      throw new Error(`LoadBalancer: deregistrationDelay must be at most 3600 s, got ${deregistrationDelay.toSeconds()} s`);
    }

    this.accessLogBucket = new s3.Bucket(this, 'AccessLogs', {
      // ALB log delivery supports SSE-S3 only.
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      lifecycleRules: [{ expiration: props.accessLogExpiration ?? Duration.days(90) }],
      removalPolicy: props.accessLogRemovalPolicy ?? RemovalPolicy.RETAIN,
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
      stickinessCookieDuration: props.stickinessDuration ?? Duration.days(1),
      deregistrationDelay,
      healthCheck: {
        path: props.healthCheckPath ?? '/readyz',
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
        sslPolicy: props.sslPolicy ?? elbv2.SslPolicy.RECOMMENDED_TLS,
        defaultTargetGroups: [this.targetGroup],
      });
      this.httpListener = this.loadBalancer.addListener('Http', {
        port: 80,
        protocol: elbv2.ApplicationProtocol.HTTP,
        defaultAction: elbv2.ListenerAction.redirect({ protocol: 'HTTPS', port: '443', permanent: true }),
      });
    } else {
      if (props.sslPolicy !== undefined)
        throw new Error('LoadBalancer: sslPolicy needs certificateArn (there is no HTTPS listener without one)');
      this.httpListener = this.loadBalancer.addListener('Http', {
        port: 80,
        protocol: elbv2.ApplicationProtocol.HTTP,
        defaultTargetGroups: [this.targetGroup],
      });
    }
    this.url = `${props.certificateArn !== undefined ? 'https' : 'http'}://${this.loadBalancer.loadBalancerDnsName}`;
  }
}
