import { App } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../infra/config';
import { NetworkStack, NetworkStackProps } from '../../infra/network-stack';
import { DOCUMENTED_MIN_AZS, FARGATE_AZ_IDS } from '../../infra/region-zones';
import { CERT_ARN, cleanup, PROD, synth } from './helpers';

afterAll(cleanup);

const network = (region: string, props: NetworkStackProps = {}) => new NetworkStack(new App(), 'Net', { env: { region }, ...props });

describe('regions: the zone count is checked at synth', () => {
  it('prod (maxAzs 3) fails in us-west-1, where Fargate runs in two zones, naming maxAzs and region', () => {
    expect(() => resolveConfig({ ...PROD, region: 'us-west-1' })).toThrow(
      /maxAzs \(3\) is above the 2 Availability Zones where Fargate runs in region us-west-1 \(usw1-az1, usw1-az3\)/,
    );
    expect(() => resolveConfig({ ...PROD }, { CDK_DEFAULT_REGION: 'us-west-1' })).toThrow(/maxAzs \(3\).*region us-west-1/);
    // Dev's two zones fit; prod fits Tokyo's three, but not four of them.
    expect(resolveConfig({ region: 'us-west-1' }).maxAzs).toBe(2);
    expect(
      resolveConfig({ ...PROD, region: 'ap-northeast-1', certificateArn: CERT_ARN.replace('us-east-1', 'ap-northeast-1') }).maxAzs,
    ).toBe(3);
    expect(() => resolveConfig({ ...PROD, region: 'ap-northeast-1', maxAzs: '4' })).toThrow(/maxAzs \(4\).*region ap-northeast-1/);
  });

  it('an existing VPC brings its own zones: not checked', () => {
    expect(resolveConfig({ region: 'us-west-1', maxAzs: '3', account: '123456789012', vpcId: 'vpc-0123456789abcdef0' }).maxAzs).toBe(3);
  });

  it('the Network construct applies the same rule to its stack region', () => {
    expect(() => network('us-west-1', { maxAzs: 3 })).toThrow(/Network: maxAzs \(3\) is above the 2 Availability Zones .* us-west-1/);
    expect(() => network('eu-west-1', { maxAzs: 3 })).not.toThrow();
  });

  it('an env-agnostic stack (region unknown at synth) is not checked, and still takes its zones from Fn::GetAZs', () => {
    const t = Template.fromStack(new NetworkStack(new App(), 'Agnostic', { maxAzs: 3 }));
    t.hasResourceProperties('AWS::EC2::Subnet', { AvailabilityZone: { 'Fn::Select': [2, { 'Fn::GetAZs': '' }] } });
  });

  it('above the three zones AWS documents for every region, a known-unlimited region warns that synth cannot confirm the count', () => {
    expect(DOCUMENTED_MIN_AZS).toBe(3);
    const wide = network('us-east-1', { maxAzs: 4, natGateways: 1 });
    Annotations.fromStack(wide).hasWarning('*', Match.stringLikeRegexp('maxAzs \\(4\\) is above the 3 Availability Zones.*us-east-1'));
    Annotations.fromStack(network('us-east-1', { maxAzs: 3 })).hasNoWarning('*', Match.stringLikeRegexp('maxAzs'));
  });
});

describe('regions: subnets avoid the zones where Fargate does not run', () => {
  it.each(Object.entries(FARGATE_AZ_IDS))('%s: every subnet is placed by AZ ID, in the zones Fargate lists', (region, azIds) => {
    const maxAzs = Math.min(azIds.length, 3);
    const t = Template.fromStack(network(region, { maxAzs }));
    const subnets = Object.values(t.findResources('AWS::EC2::Subnet')) as { Properties: Record<string, unknown> }[];
    expect(subnets).toHaveLength(maxAzs * 3);
    for (const { Properties } of subnets) {
      expect(Properties).not.toHaveProperty('AvailabilityZone');
      expect(azIds).toContain(Properties.AvailabilityZoneId);
    }
    // Each tier spans maxAzs distinct zones (the ALB and the cache's Multi-AZ need that).
    const tiers = new Map<string, Set<unknown>>();
    for (const { Properties } of subnets) {
      const tier = (Properties.Tags as { Key: string; Value: string }[]).find((tag) => tag.Key === 'aws-cdk:subnet-name')?.Value ?? '';
      tiers.set(tier, (tiers.get(tier) ?? new Set()).add(Properties.AvailabilityZoneId));
    }
    expect([...tiers.values()].map((ids) => ids.size)).toEqual([maxAzs, maxAzs, maxAzs]);
    expect(JSON.stringify(t.toJSON())).not.toContain('Fn::GetAZs');
  });

  it('the whole dev system synthesizes in us-west-1 (nag included), its tasks and cache in Fargate zones', () => {
    const s = synth({ region: 'us-west-1' });
    s.network.hasResourceProperties('AWS::EC2::Subnet', { AvailabilityZoneId: 'usw1-az3', AvailabilityZone: Match.absent() });
    for (const t of [s.network, s.cache, s.service]) expect(JSON.stringify(t.toJSON())).not.toContain('Fn::GetAZs');
  });

  it('elsewhere the subnets keep zone names from Fn::GetAZs, so deployed subnets are not replaced', () => {
    const t = Template.fromStack(network('us-east-1', { maxAzs: 2 }));
    t.hasResourceProperties('AWS::EC2::Subnet', { AvailabilityZone: { 'Fn::Select': [1, { 'Fn::GetAZs': '' }] } });
    t.hasResourceProperties('AWS::EC2::Subnet', { AvailabilityZoneId: Match.absent() });
  });
});
