import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRICS_NAMESPACE, SERVICE_METRICS } from '../../contract/metrics';
import { SERVICE_STACK_OUTPUTS } from '../../contract/stack';
import { resolveConfig } from '../../infra/config';
import { API_CIDRS_PER_RULE, API_RULE_PRIORITY } from '../../infra/load-balancer';
import { cleanup, onlyResource, synth, Synthesized, PROD } from './helpers';

let dev: Synthesized;
let restricted: Synthesized;
const CIDRS = ['203.0.113.0/24', '198.51.100.7/32', '192.0.2.0/28', '2001:db8::/32'];

beforeAll(() => {
  dev = synth({});
  restricted = synth({ ...PROD, apiAllowedCidrs: CIDRS.join(',') });
});
afterAll(cleanup);

describe('backend API keys', () => {
  it('generates a 48-character secret without punctuation, hands it to the tasks as API_KEYS and outputs its ARN', () => {
    const t = dev.service;
    t.hasResourceProperties('AWS::SecretsManager::Secret', {
      Description: Match.stringLikeRegexp('API_KEYS'),
      GenerateSecretString: { PasswordLength: 48, ExcludePunctuation: true, IncludeSpace: false },
    });
    const [secretId] = Object.keys(
      t.findResources('AWS::SecretsManager::Secret', { Properties: { Description: Match.stringLikeRegexp('API_KEYS') } }),
    );
    const container = (onlyResource(t, 'AWS::ECS::TaskDefinition').Properties.ContainerDefinitions as Record<string, unknown>[])[0];
    expect(container.Secrets).toContainEqual({ Name: 'API_KEYS', ValueFrom: { Ref: secretId } });
    t.hasOutput(SERVICE_STACK_OUTPUTS.apiKeysSecretArn, { Value: { Ref: secretId } });
  });
});

describe('apiAllowedCidrs', () => {
  it('adds no API rule when unset', () => {
    dev.service.resourceCountIs('AWS::ElasticLoadBalancingV2::ListenerRule', 0);
  });

  it(`forwards /api/* from the CIDRs, ${API_CIDRS_PER_RULE} per rule, and answers everyone else 404 on the HTTPS listener`, () => {
    const t = restricted.service;
    const https = Object.keys(t.findResources('AWS::ElasticLoadBalancingV2::Listener', { Properties: { Port: 443 } }))[0];
    const path = { Field: 'path-pattern', PathPatternConfig: { Values: ['/api/*'] } };
    const sourceIps = (values: string[]) => ({ Field: 'source-ip', SourceIpConfig: { Values: values } });
    t.resourceCountIs('AWS::ElasticLoadBalancingV2::ListenerRule', 3);
    for (const [i, values] of [CIDRS.slice(0, 3), CIDRS.slice(3)].entries()) {
      t.hasResourceProperties('AWS::ElasticLoadBalancingV2::ListenerRule', {
        ListenerArn: { Ref: https },
        Priority: API_RULE_PRIORITY.firstAllow + i,
        Conditions: [path, sourceIps(values)],
        Actions: [Match.objectLike({ Type: 'forward' })],
      });
    }
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::ListenerRule', {
      ListenerArn: { Ref: https },
      Priority: API_RULE_PRIORITY.deny,
      Conditions: [path],
      Actions: [
        Match.objectLike({
          Type: 'fixed-response',
          FixedResponseConfig: Match.objectLike({ StatusCode: '404', ContentType: 'application/json' }),
        }),
      ],
    });
  });

  it.each([
    [{ apiAllowedCidrs: '10.0.0.0/8,not-a-cidr' }, /apiAllowedCidrs must be comma-separated CIDRs/],
    [
      { apiAllowedCidrs: Array.from({ length: 31 }, (_, i) => `10.0.${i}.0/24`).join(',') },
      /apiAllowedCidrs takes at most 30 CIDRs \(3 per ALB rule, at most 10 rules\), got 31/,
    ],
  ])('rejects %j', (context, message) => {
    expect(() => resolveConfig(context)).toThrow(message);
  });
});

describe('backend API alarms', () => {
  it.each([
    ['Api5xx', 'apiRequests5xx', 5],
    ['ApiUnauthorized', 'apiRequestsUnauthorized', 30],
    ['ApiThrottled', 'apiRequestsThrottled', 10],
    ['ApiPublishLatency', 'apiPublishLatency', 250],
    ['PresenceTimeouts', 'presenceQueryTimeouts', 0],
  ] as const)('%s warns on the warnings topic with the api-errors runbook', (suffix, key, threshold) => {
    const t = dev.service;
    const warnings = Object.keys(
      t.findResources('AWS::SNS::Topic', { Properties: { DisplayName: Match.stringLikeRegexp('warnings$') } }),
    )[0];
    const statistic = SERVICE_METRICS[key].statistic;
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: `socketio-dev-service-${suffix}`,
      Namespace: METRICS_NAMESPACE,
      MetricName: SERVICE_METRICS[key].name,
      ...(statistic === 'p99' ? { ExtendedStatistic: 'p99' } : { Statistic: statistic }),
      Threshold: threshold,
      AlarmActions: [{ Ref: warnings }],
      AlarmDescription: Match.stringLikeRegexp('Runbook: docs/runbooks/api-errors.md$'),
    });
  });
});

describe('abuse resistance (issue 12)', () => {
  it('prod needs corsOrigins or corsOriginsUnsetReason, and passes the reason on', () => {
    expect(() => resolveConfig({ stage: 'prod' })).toThrow(/prod needs corsOrigins .* or corsOriginsUnsetReason/);
    expect(() => resolveConfig({ ...PROD, corsOriginsUnsetReason: 'x' })).toThrow(
      /corsOriginsUnsetReason only applies without corsOrigins/,
    );
    const { corsOrigins: _origins, ...prod } = PROD;
    const s = synth({ ...prod, corsOriginsUnsetReason: 'same-origin demo only' });
    s.service.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [
        Match.objectLike({ Environment: Match.arrayWith([{ Name: 'CORS_ORIGINS_UNSET_REASON', Value: 'same-origin demo only' }]) }),
      ],
    });
  });

  it('graphs refused handshakes and guard closes on the dashboard', () => {
    const body = JSON.stringify(onlyResource(dev.service, 'AWS::CloudWatch::Dashboard').Properties.DashboardBody);
    expect(body).toContain(SERVICE_METRICS.handshakesRefused.name);
    expect(body).toContain(SERVICE_METRICS.connectionsClosedByGuard.name);
  });
});
