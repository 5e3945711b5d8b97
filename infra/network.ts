import { CfnResource, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { intRangeProblem, Problem, Range, throwPropsProblems } from './validation';

/** Defaults of the props: Network settles each with `??`; the deployment config's defaults read them too. */
export const NETWORK_DEFAULTS = {
  maxAzs: 2,
  natGateways: 1,
  cidr: '10.0.0.0/16',
  flowLogRetention: logs.RetentionDays.ONE_MONTH,
  logRemovalPolicy: RemovalPolicy.DESTROY,
  cacheRemovalPolicy: RemovalPolicy.DESTROY,
} as const;

/** Zones a created VPC may span: the ALB and the cache's Multi-AZ need two, no region has more than six. */
export const MAX_AZS_RANGE: Range = { min: 2, max: 6 };

/** A NAT gateway sits in a zone: at least one for egress, at most one per zone. */
export function natGatewaysProblem(natGateways: number, maxAzs: number): Problem {
  return natGateways < 1 || natGateways > maxAzs ? `natGateways (${natGateways}) must be from 1 to maxAzs (${maxAzs})` : undefined;
}

export interface NetworkProps {
  /** Existing VPC to import (lookup: needs concrete account and region). @default - a new VPC */
  readonly existingVpcId?: string;
  /** Availability zones of the created VPC, 2..6. @default 2 */
  readonly maxAzs?: number;
  /** NAT gateways of the created VPC, 1..maxAzs. @default 1 */
  readonly natGateways?: number;
  /** CIDR block of the created VPC. @default '10.0.0.0/16' */
  readonly cidr?: string;
  /** Retention of the VPC flow log (rejected traffic). @default RetentionDays.ONE_MONTH */
  readonly flowLogRetention?: logs.RetentionDays;
  /** What happens to the flow log group when the stack is deleted. @default RemovalPolicy.DESTROY */
  readonly logRemovalPolicy?: RemovalPolicy;
  /** Fate of a created VPC and its cache subnets when deleted: a retained cache still sits in them. @default RemovalPolicy.DESTROY */
  readonly cacheRemovalPolicy?: RemovalPolicy;
}

/**
 * The VPC: public subnets for the ALB, private subnets with egress for the tasks, isolated
 * subnets for the cache.
 */
export class Network extends Construct {
  public readonly vpc: ec2.IVpc;
  /** Subnets the cache's subnet group uses. */
  public readonly cacheSubnets: ec2.SubnetSelection;

  constructor(scope: Construct, id: string, props: NetworkProps = {}) {
    super(scope, id);
    const maxAzs = props.maxAzs ?? NETWORK_DEFAULTS.maxAzs;
    const natGateways = props.natGateways ?? NETWORK_DEFAULTS.natGateways;
    const shapesCreatedVpc = props.maxAzs !== undefined || props.natGateways !== undefined || props.cidr !== undefined;
    throwPropsProblems(this, [
      intRangeProblem('maxAzs', maxAzs, MAX_AZS_RANGE),
      natGatewaysProblem(natGateways, maxAzs),
      props.existingVpcId !== undefined && shapesCreatedVpc
        ? 'existingVpcId cannot be combined with maxAzs, natGateways or cidr, which shape a created VPC'
        : undefined,
    ]);

    if (props.existingVpcId !== undefined) {
      this.vpc = ec2.Vpc.fromLookup(this, 'Vpc', { vpcId: props.existingVpcId });
      this.cacheSubnets = {
        subnetType: this.vpc.isolatedSubnets.length > 0 ? ec2.SubnetType.PRIVATE_ISOLATED : ec2.SubnetType.PRIVATE_WITH_EGRESS,
      };
      return;
    }

    const vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(props.cidr ?? NETWORK_DEFAULTS.cidr),
      maxAzs,
      natGateways,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'tasks', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
        { name: 'cache', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
    });
    // Rejected flows only: what explains a blocked connection, at a fraction of ALL's volume.
    const flowLogGroup = new logs.LogGroup(this, 'FlowLogs', {
      retention: props.flowLogRetention ?? NETWORK_DEFAULTS.flowLogRetention,
      removalPolicy: props.logRemovalPolicy ?? NETWORK_DEFAULTS.logRemovalPolicy,
    });
    vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogGroup),
      trafficType: ec2.FlowLogTrafficType.REJECT,
    });
    this.vpc = vpc;
    this.cacheSubnets = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
    // A retained replication group keeps network interfaces in its subnets, so neither they nor the VPC could be deleted.
    const cacheRemovalPolicy = props.cacheRemovalPolicy ?? NETWORK_DEFAULTS.cacheRemovalPolicy;
    for (const resource of [vpc, ...vpc.selectSubnets(this.cacheSubnets).subnets]) {
      (resource.node.defaultChild as CfnResource).applyRemovalPolicy(cacheRemovalPolicy);
    }
  }
}
