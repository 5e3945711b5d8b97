import { Annotations, CfnResource, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { unverifiedZonesWarning, usableZones, zoneCountProblem } from './region-zones';
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

/**
 * A NAT gateway sits in a zone: at most one per zone. None is allowed: the tasks then run in the
 * public subnets with public IPs (their egress), and no private-with-egress subnets are created.
 */
export function natGatewaysProblem(natGateways: number, maxAzs: number): Problem {
  return !Number.isInteger(natGateways) || natGateways < 0 || natGateways > maxAzs
    ? `natGateways (${natGateways}) must be an integer from 0 to maxAzs (${maxAzs})`
    : undefined;
}

export interface NetworkProps {
  /** Existing VPC to import (lookup: needs concrete account and region). @default - a new VPC */
  readonly existingVpcId?: string;
  /** Availability zones of the created VPC, 2..6. @default 2 */
  readonly maxAzs?: number;
  /** NAT gateways of the created VPC, 0..maxAzs; with 0 the tasks run in the public subnets with public IPs. @default 1 */
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
 * The VPC: public subnets for the ALB, private subnets with egress for the tasks (public subnets
 * when there is no NAT gateway), isolated subnets for the cache. In a region where Fargate runs
 * only in some zones (FARGATE_AZ_IDS), the subnets are placed in those zones by AZ ID; elsewhere
 * in the first maxAzs zones by name.
 */
export class Network extends Construct {
  public readonly vpc: ec2.IVpc;
  /** Subnets the cache's subnet group uses. */
  public readonly cacheSubnets: ec2.SubnetSelection;
  /** Subnets the service's tasks run in: private with egress, or public without a NAT gateway. */
  public readonly taskSubnets: ec2.SubnetSelection;
  /** Whether the tasks need a public IP for egress (ECR, CloudWatch, Secrets Manager): without a NAT gateway. */
  public readonly taskAssignPublicIp: boolean;

  constructor(scope: Construct, id: string, props: NetworkProps = {}) {
    super(scope, id);
    const maxAzs = props.maxAzs ?? NETWORK_DEFAULTS.maxAzs;
    const natGateways = props.natGateways ?? NETWORK_DEFAULTS.natGateways;
    const shapesCreatedVpc = props.maxAzs !== undefined || props.natGateways !== undefined || props.cidr !== undefined;
    const region = Stack.of(this).region;
    throwPropsProblems(this, [
      props.existingVpcId === undefined ? zoneCountProblem(maxAzs, region) : undefined,
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
      this.taskSubnets = { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
      this.taskAssignPublicIp = false;
      return;
    }

    const withNat = natGateways > 0;

    const vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(props.cidr ?? NETWORK_DEFAULTS.cidr),
      maxAzs,
      natGateways,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        // Without a NAT gateway the tasks' range stays reserved, not created: the cache subnets after it keep
        // their CIDRs (and the subnet group its subnets), and adding NAT gateways later brings the range back.
        { name: 'tasks', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20, reserved: !withNat },
        { name: 'cache', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
    });
    // Rejected flows only: what explains a blocked connection, at a fraction of ALL's volume.
    const flowLogGroup = new logs.LogGroup(this, 'FlowLogs', {
      retention: props.flowLogRetention ?? NETWORK_DEFAULTS.flowLogRetention,
      removalPolicy: props.logRemovalPolicy ?? NETWORK_DEFAULTS.logRemovalPolicy,
    });
    const azIds = usableZones(region).azIds;
    if (azIds) pinSubnetsToAzIds(vpc, azIds);
    const unverified = unverifiedZonesWarning(maxAzs, region);
    if (unverified) Annotations.of(this).addWarningV2('network:zones-unverified', unverified);
    vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogGroup),
      trafficType: ec2.FlowLogTrafficType.REJECT,
    });
    this.vpc = vpc;
    this.cacheSubnets = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
    this.taskSubnets = { subnetType: withNat ? ec2.SubnetType.PRIVATE_WITH_EGRESS : ec2.SubnetType.PUBLIC };
    this.taskAssignPublicIp = !withNat;
    // A retained replication group keeps network interfaces in its subnets, so neither they nor the VPC could be deleted.
    const cacheRemovalPolicy = props.cacheRemovalPolicy ?? NETWORK_DEFAULTS.cacheRemovalPolicy;
    for (const resource of [vpc, ...vpc.selectSubnets(this.cacheSubnets).subnets]) {
      (resource.node.defaultChild as CfnResource).applyRemovalPolicy(cacheRemovalPolicy);
    }
  }
}

/**
 * Places the i-th subnet of every tier in the i-th of `azIds` (AvailabilityZoneId instead of the
 * AvailabilityZone name, which each account maps to a different zone). Vpc creates each tier's
 * subnets in zone order, so index i is the same zone in every tier.
 */
function pinSubnetsToAzIds(vpc: ec2.Vpc, azIds: readonly string[]): void {
  for (const tier of [vpc.publicSubnets, vpc.privateSubnets, vpc.isolatedSubnets]) {
    tier.forEach((subnet, i) => {
      const cfn = subnet.node.defaultChild as ec2.CfnSubnet;
      cfn.addPropertyDeletionOverride('AvailabilityZone');
      cfn.addPropertyOverride('AvailabilityZoneId', azIds[i]);
    });
  }
}
