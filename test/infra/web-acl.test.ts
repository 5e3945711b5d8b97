import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SOCKET_IO_RATE_INPUTS, socketIoRequestsPerIp, WEB_ACL_DEFAULTS } from '../../infra/web-acl';
import { cleanup, onlyResource, synth, Synthesized, PROD } from './helpers';

let dev: Synthesized;
let prod: Synthesized;

beforeAll(() => {
  dev = synth({});
  prod = synth({ ...PROD });
});
afterAll(cleanup);

/** The rules of the common rule set that ordinary chat text, API payloads or the service's own clients trip. */
const COUNTED = [
  'SizeRestrictions_BODY',
  'NoUserAgent_HEADER',
  'CrossSiteScripting_BODY',
  'GenericLFI_BODY',
  'GenericRFI_BODY',
  'EC2MetaDataSSRF_BODY',
];

type Rule = { Name: string; Priority: number; Statement: Record<string, Record<string, unknown>> };
const rules = () => onlyResource(prod.service, 'AWS::WAFv2::WebACL').Properties.Rules as Rule[];

describe('WebAcl (prod preset)', () => {
  it('is a REGIONAL web ACL on the ALB that allows by default, and dev has none', () => {
    dev.service.resourceCountIs('AWS::WAFv2::WebACL', 0);
    prod.service.hasResourceProperties('AWS::WAFv2::WebACL', { Scope: 'REGIONAL', DefaultAction: { Allow: {} } });
    const acl = Object.keys(prod.service.findResources('AWS::WAFv2::WebACL'))[0];
    const alb = Object.keys(prod.service.findResources('AWS::ElasticLoadBalancingV2::LoadBalancer'))[0];
    prod.service.hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
      ResourceArn: { Ref: alb },
      WebACLArn: { 'Fn::GetAtt': [acl, 'Arn'] },
    });
  });

  it('counts, not blocks, the body rules that chat text trips on a polling POST: <script>, onerror=, ../, an IPv4 URL', () => {
    expect(rules().map((r) => r.Name)).toEqual(['SocketIoRatePerIp', 'AWSManagedRulesCommonRuleSet']);
    prod.service.hasResourceProperties('AWS::WAFv2::WebACL', {
      Rules: Match.arrayWith([
        Match.objectLike({
          Name: 'AWSManagedRulesCommonRuleSet',
          // Every other rule of the group keeps its Block.
          OverrideAction: { None: {} },
          Statement: {
            ManagedRuleGroupStatement: {
              VendorName: 'AWS',
              Name: 'AWSManagedRulesCommonRuleSet',
              RuleActionOverrides: COUNTED.map((Name) => ({ Name, ActionToUse: { Count: {} } })),
            },
          },
        }),
      ]),
    });
  });

  it('limits each address on /socket.io/ to what 1,000 users behind it need through two drains: 36,000 requests per 5 minutes', () => {
    const [rate] = rules();
    expect(rate).toMatchObject({
      Name: 'SocketIoRatePerIp',
      Priority: 0,
      Action: { Block: {} },
      Statement: {
        RateBasedStatement: {
          Limit: 36_000,
          EvaluationWindowSec: 300,
          AggregateKeyType: 'IP',
          ScopeDownStatement: {
            ByteMatchStatement: {
              FieldToMatch: { UriPath: {} },
              PositionalConstraint: 'STARTS_WITH',
              SearchString: '/socket.io/',
            },
          },
        },
      },
    });
  });
});

describe('socketIoRequestsPerIp', () => {
  it('is, per address, each user connecting once and again after each drain, four requests a connect, plus a poll every 12.5 s', () => {
    expect(SOCKET_IO_RATE_INPUTS).toMatchObject({ usersPerAddress: 1_000, requestsPerConnect: 4, drainsPerWindow: 2 });
    // 1,000 × (4 × 3 + 300 s × 2 / 25 s)
    expect(socketIoRequestsPerIp(SOCKET_IO_RATE_INPUTS)).toBe(36_000);
    expect(WEB_ACL_DEFAULTS.socketIoRequestsPerIp).toBe(36_000);
    const one = { ...SOCKET_IO_RATE_INPUTS, usersPerAddress: 1, pollingRequestsPerSecond: 0 };
    expect(socketIoRequestsPerIp({ ...one, drainsPerWindow: 0 })).toBe(4);
    expect(socketIoRequestsPerIp(one)).toBe(12);
    // The old 5,000 was used up by 1,000 WebSocket users reconnecting through two drains, before any polling.
    expect(socketIoRequestsPerIp({ ...SOCKET_IO_RATE_INPUTS, pollingRequestsPerSecond: 0 })).toBeGreaterThan(5_000);
  });

  it('takes the deployment config key over the derived default', () => {
    const s = synth({ ...PROD, wafSocketIoRequestsPerIp: '1200' });
    const [rate] = onlyResource(s.service, 'AWS::WAFv2::WebACL').Properties.Rules as Rule[];
    expect(rate.Statement.RateBasedStatement.Limit).toBe(1200);
  });
});
