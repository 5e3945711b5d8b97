import { Fn, Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { Network, NETWORK_DEFAULTS, NetworkProps } from './network';

/**
 * The network's settings are the Network construct's, documented there. maxAzs and
 * natGateways are ignored with existingVpcId, whose shape is already given.
 */
export interface NetworkStackProps extends StackProps, NetworkProps {}

/**
 * The VPC and the service tasks' security group. The group lives here, below both the cache and
 * the service stacks, so the cache can admit it without the two stacks referencing each other.
 */
export class NetworkStack extends Stack {
  public readonly vpc: ec2.IVpc;
  public readonly cacheSubnets: ec2.SubnetSelection;
  /** Subnets of the service's tasks: private with egress, or public without a NAT gateway. */
  public readonly taskSubnets: ec2.SubnetSelection;
  /** Whether the tasks get a public IP (their egress without a NAT gateway). */
  public readonly taskAssignPublicIp: boolean;
  /** Security group of the Socket.IO tasks. */
  public readonly serviceSecurityGroup: ec2.SecurityGroup;
  private readonly azCount: number;

  constructor(scope: Construct, id: string, props: NetworkStackProps = {}) {
    super(scope, id, props);
    // The VPC reads availabilityZones while Network builds it, so the count is settled first.
    this.azCount = props.maxAzs ?? NETWORK_DEFAULTS.maxAzs;
    const network = new Network(
      this,
      'Network',
      props.existingVpcId === undefined ? props : { ...props, maxAzs: undefined, natGateways: undefined },
    );
    this.vpc = network.vpc;
    this.cacheSubnets = network.cacheSubnets;
    this.taskSubnets = network.taskSubnets;
    this.taskAssignPublicIp = network.taskAssignPublicIp;
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
