import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../infra/config';
import { Network } from '../../infra/network';
import { SocketService } from '../../infra/socket-service';
import { cleanup, onlyResource, PROD, ROOT, synth, Synthesized } from './helpers';

// The tasks' egress: dev has no NAT gateway, so its tasks run in the public subnets with public IPs;
// prod keeps them in private subnets behind NAT gateways.
let dev: Synthesized;
let devWithNat: Synthesized;
let prod: Synthesized;

// Three full syntheses: minutes on two shared cores.
beforeAll(() => {
  dev = synth({});
  devWithNat = synth({ natGateways: '1' });
  prod = synth(PROD);
}, 180_000);
afterAll(cleanup);

type Resource = { Type: string; Properties?: Record<string, unknown> };
const resources = (t: Template) => Object.entries(t.toJSON().Resources as Record<string, Resource>);

/** The imports of the subnets the ECS service runs its tasks in, and whether they get public IPs. */
function taskPlacement(s: Synthesized) {
  const service = onlyResource(s.service, 'AWS::ECS::Service');
  const vpcConfig = (service.Properties.NetworkConfiguration as { AwsvpcConfiguration: Record<string, unknown> }).AwsvpcConfiguration;
  const subnets = (vpcConfig.Subnets as { 'Fn::ImportValue': string }[]).map((s) => s['Fn::ImportValue']);
  return { assignPublicIp: vpcConfig.AssignPublicIp, subnets };
}

/** Every ingress rule of the tasks' security group, in any stack: standalone rules and the group's own. */
function taskIngressRules(s: Synthesized): Record<string, unknown>[] {
  const isTaskGroup = (ref: unknown) => /ServiceSecurityGroup/.test(JSON.stringify(ref));
  const rules: Record<string, unknown>[] = [];
  for (const t of [s.network, s.cache, s.service]) {
    for (const [id, r] of resources(t)) {
      if (r.Type === 'AWS::EC2::SecurityGroupIngress' && isTaskGroup(r.Properties?.GroupId)) rules.push(r.Properties ?? {});
      if (r.Type === 'AWS::EC2::SecurityGroup' && /ServiceSecurityGroup/.test(id)) {
        rules.push(...((r.Properties?.SecurityGroupIngress as Record<string, unknown>[] | undefined) ?? []));
      }
    }
  }
  return rules;
}

describe('dev without a NAT gateway', () => {
  it('has no NAT gateway, no Elastic IP and no private-with-egress subnets', () => {
    dev.network.resourceCountIs('AWS::EC2::NatGateway', 0);
    dev.network.resourceCountIs('AWS::EC2::EIP', 0);
    const privateSubnets = dev.network.findResources('AWS::EC2::Subnet', {
      Properties: { Tags: Match.arrayWith([{ Key: 'aws-cdk:subnet-type', Value: 'Private' }]) },
    });
    expect(privateSubnets).toEqual({});
    dev.network.resourcePropertiesCountIs('AWS::EC2::Route', { NatGatewayId: Match.anyValue() }, 0);
  });

  it('runs the tasks in the public subnets with public IPs', () => {
    const { assignPublicIp, subnets } = taskPlacement(dev);
    expect(assignPublicIp).toBe('ENABLED');
    expect(subnets).toHaveLength(2);
    for (const name of subnets) expect(name).toMatch(/NetworkVpcpublicSubnet\d/);
  });

  it('keeps the cache where it was: the same subnets (CIDRs) and an identical cache stack as with a NAT gateway', () => {
    const cacheSubnets = (s: Synthesized) =>
      resources(s.network)
        .filter(([id, r]) => r.Type === 'AWS::EC2::Subnet' && /cacheSubnet/.test(id))
        .map(([id, r]) => [id, r.Properties?.CidrBlock]);
    expect(cacheSubnets(dev)).toEqual([
      ['NetworkVpccacheSubnet1Subnet1609E014', '10.0.48.0/24'],
      ['NetworkVpccacheSubnet2Subnet9DCD2C0F', '10.0.49.0/24'],
    ]);
    expect(cacheSubnets(dev)).toEqual(cacheSubnets(devWithNat));
    // The subnet group (and so the replication group) sees no change: dropping the NAT gateway replaces nothing stateful.
    expect(dev.cache.toJSON()).toEqual(devWithNat.cache.toJSON());
  });
});

describe('prod keeps its private subnets', () => {
  it('has a NAT gateway per AZ and runs the tasks in the private subnets without public IPs', () => {
    prod.network.resourceCountIs('AWS::EC2::NatGateway', 3);
    const { assignPublicIp, subnets } = taskPlacement(prod);
    expect(assignPublicIp).toBe('DISABLED');
    expect(subnets).toHaveLength(3);
    for (const name of subnets) expect(name).toMatch(/NetworkVpctasksSubnet\d/);
  });

  it('refuses natGateways=0, naming the key and the stage', () => {
    expect(() => resolveConfig({ ...PROD, natGateways: '0' })).toThrow(
      /natGateways must be at least 1 in prod \(stage=prod keeps the tasks in private subnets, without public IPs\), got 0/,
    );
  });
});

describe.each([
  ['dev', () => dev],
  ['prod', () => prod],
] as const)("the tasks' security group (%s)", (_stage, get) => {
  it('admits the ALB security group only: no CIDR, let alone 0.0.0.0/0', () => {
    const rules = taskIngressRules(get());
    expect(rules).toHaveLength(1);
    for (const rule of rules) {
      expect(rule).toMatchObject({
        IpProtocol: 'tcp',
        FromPort: 3000,
        ToPort: 3000,
        SourceSecurityGroupId: { 'Fn::GetAtt': [expect.stringMatching(/AlbSecurityGroup/), 'GroupId'] },
      });
      expect(rule).not.toHaveProperty('CidrIp');
      expect(rule).not.toHaveProperty('CidrIpv6');
    }
  });
});

it("the check above sees a CIDR rule on the tasks' group (cdk-nag only catches 0.0.0.0/0)", () => {
  const opened = synth(
    {},
    { mutate: (stacks) => stacks.network.serviceSecurityGroup.addIngressRule(ec2.Peer.ipv4('203.0.113.0/24'), ec2.Port.tcp(3000)) },
  );
  expect(taskIngressRules(opened)).toContainEqual(expect.objectContaining({ CidrIp: '203.0.113.0/24' }));
}, 120_000);

describe('natGateways and the task placement props', () => {
  it('natGateways must be from 0 to maxAzs', () => {
    expect(() => resolveConfig({ natGateways: '3' })).toThrow(/natGateways \(3\) must be an integer from 0 to maxAzs \(2\)/);
    expect(() => new Network(new Stack(new App(), 'N'), 'N', { maxAzs: 2, natGateways: -1 })).toThrow(
      /^Network: natGateways \(-1\) must be an integer from 0 to maxAzs \(2\)/,
    );
    const network = new Network(new Stack(new App(), 'N'), 'N', { maxAzs: 2, natGateways: 0 });
    expect(network.taskSubnets).toEqual({ subnetType: ec2.SubnetType.PUBLIC });
    expect(network.taskAssignPublicIp).toBe(true);
  });

  it('SocketService: public taskSubnets need assignPublicIp, and assignPublicIp needs public taskSubnets', () => {
    const s = new Stack(new App(), 'S', { env: { region: 'us-east-1' } });
    const vpc = new ec2.Vpc(s, 'Vpc');
    const base = {
      vpc,
      securityGroup: new ec2.SecurityGroup(s, 'Sg', { vpc }),
      targetGroup: new elbv2.ApplicationTargetGroup(s, 'Tg', {
        vpc,
        port: 3000,
        protocol: elbv2.ApplicationProtocol.HTTP,
        targetType: elbv2.TargetType.IP,
      }),
      imageDirectory: `${ROOT}/service`,
      redisUrl: 'redis://x:6379',
      metricsServiceName: 'x',
    };
    expect(() => new SocketService(s, 'S1', { ...base, taskSubnets: { subnetType: ec2.SubnetType.PUBLIC } })).toThrow(
      /^SocketService: taskSubnets \{ subnetType: PUBLIC \} needs assignPublicIp: true/,
    );
    expect(() => new SocketService(s, 'S2', { ...base, assignPublicIp: true })).toThrow(
      /^SocketService: assignPublicIp only applies with taskSubnets \{ subnetType: PUBLIC \}/,
    );
  });
});
