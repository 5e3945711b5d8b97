import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PING_INTERVAL_MS, DEFAULT_PING_TIMEOUT_MS } from '../../contract/env';
import { CLIENT_CLOCK_LEAD_MS, stickinessDurationMs } from '../../contract/load-balancer';
import { LOAD_BALANCER_DEFAULTS, LoadBalancer } from '../../infra/load-balancer';

const vpcIn = (s: Stack) => new ec2.Vpc(s, 'Vpc', { maxAzs: 2, natGateways: 0 });

describe('LoadBalancer stickiness', () => {
  it("lasts a session's heartbeat plus a client clock's lead: 45 s + 5 min, not a day", () => {
    expect(CLIENT_CLOCK_LEAD_MS).toBe(300_000);
    expect(stickinessDurationMs(DEFAULT_PING_INTERVAL_MS + DEFAULT_PING_TIMEOUT_MS)).toBe(345_000);
    expect(LOAD_BALANCER_DEFAULTS.stickinessDuration.toSeconds()).toBe(345);
    const s = new Stack(new App(), 'S', { env: { region: 'eu-west-1' } });
    new LoadBalancer(s, 'L', { vpc: vpcIn(s), targetPort: 3000 });
    const attributes = Object.values(Template.fromStack(s).findResources('AWS::ElasticLoadBalancingV2::TargetGroup'))[0].Properties
      .TargetGroupAttributes as { Key: string; Value: string }[];
    expect(attributes).toEqual(
      expect.arrayContaining([
        { Key: 'stickiness.type', Value: 'lb_cookie' },
        { Key: 'stickiness.lb_cookie.duration_seconds', Value: '345' },
      ]),
    );
  });

  it('refuses a stickiness no longer than the heartbeat, which would move long-polling sessions between tasks', () => {
    const s = new Stack(new App(), 'S', { env: { region: 'eu-west-1' } });
    const vpc = vpcIn(s);
    expect(() => new LoadBalancer(s, 'L1', { vpc, targetPort: 3000, stickinessDuration: Duration.seconds(45) })).toThrow(
      /LoadBalancer: stickinessDuration \(45 s\) must be above minIdleTimeout \(45 s\), or long-polling sessions lose their task/,
    );
    expect(() => new LoadBalancer(s, 'L2', { vpc, targetPort: 3000, stickinessDuration: Duration.seconds(46) })).not.toThrow();
  });
});
