import { Fn, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { Network } from './network';

export interface NetworkStackProps extends StackProps {
  /** Id of an existing VPC to import. @default - a new VPC */
  readonly existingVpcId?: string;
  /** Availability zones of the created VPC. @default 2 */
  readonly maxAzs?: number;
  /** NAT gateways of the created VPC. @default 1 */
  readonly natGateways?: number;
  /** Retention of the flow log. @default RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** Fate of the log groups when the stack is deleted. @default RemovalPolicy.DESTROY */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * The VPC and the service tasks' security group. The group lives here, below both the cache and
 * the service stacks, so the cache can admit it without the two stacks referencing each other.
 */
export class NetworkStack extends Stack {
  public readonly vpc: ec2.IVpc;
  public readonly cacheSubnets: ec2.SubnetSelection;
  /** Security group of the Socket.IO tasks. */
  public readonly serviceSecurityGroup: ec2.SecurityGroup;
  private readonly azCount: number;

  constructor(scope: Construct, id: string, props: NetworkStackProps = {}) {
    super(scope, id, props);
    this.azCount = props.maxAzs ?? 2;
    const network = new Network(this, 'Network', {
      existingVpcId: props.existingVpcId,
      maxAzs: props.existingVpcId === undefined ? this.azCount : undefined,
      natGateways: props.existingVpcId === undefined ? (props.natGateways ?? 1) : undefined,
      flowLogRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
    });
    this.vpc = network.vpc;
    this.cacheSubnets = network.cacheSubnets;
    this.serviceSecurityGroup = new ec2.SecurityGroup(this, 'ServiceSecurityGroup', {
      vpc: this.vpc,
      description: 'Socket.IO tasks: the ALB in, Redis, ECR, CloudWatch and Secrets Manager out',
      allowAllOutbound: true,
    });
  }

  /**
   * The first N zones of the deploy region, resolved by CloudFormation: synth never looks zones
   * up (no credentials needed), and unlike the env-agnostic default it is not capped at two.
   */
  public override get availabilityZones(): string[] {
    return Array.from({ length: this.azCount }, (_, i) => Fn.select(i, Fn.getAzs()));
  }
}
