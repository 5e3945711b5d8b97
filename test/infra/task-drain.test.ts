import { Duration } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRAIN_POLL_SHARE_OF_REFILL, ELB_DESCRIBE_REFILL_PER_S, minDeregistrationDelayMs } from '../../contract/env';
import { resolveConfig } from '../../infra/config';
import { deregistrationDelay, drainPollIntervalMs, peakPollingTasks, taskDrainEnv } from '../../infra/task-drain';
import { cleanup, PROD, synth, type Synthesized } from './helpers';

afterAll(cleanup);

const env = (name: string, value: unknown) => Match.objectLike({ Name: name, Value: value });

describe('the drain on deregistration', () => {
  let prod: Synthesized;
  beforeAll(() => {
    prod = synth(PROD);
  });

  it('keeps the polls of a deploy at maxTasks (old and new tasks) within a fifth of ELB Describe* refill, never below 5 s', () => {
    // The service's own maximumPercent is the peak the budget counts.
    prod.service.hasResourceProperties('AWS::ECS::Service', { DeploymentConfiguration: Match.objectLike({ MaximumPercent: 200 }) });
    expect(peakPollingTasks(10)).toBe(20);
    expect(drainPollIntervalMs(2)).toBe(5_000);
    expect(drainPollIntervalMs(10)).toBe(10_000);
    // 200 tasks × 1 poll per 100 s = 2 requests a second.
    expect(drainPollIntervalMs(100)).toBe(100_000);
    for (const maxTasks of [1, 2, 7, 10, 33, 100, 1000]) {
      const peakPerS = (peakPollingTasks(maxTasks) * 1_000) / drainPollIntervalMs(maxTasks);
      expect(peakPerS).toBeLessThanOrEqual(ELB_DESCRIBE_REFILL_PER_S * DRAIN_POLL_SHARE_OF_REFILL);
    }
  });

  it('derives the deregistration delay from the slowest detection (two throttled polls), the spread and the margin', () => {
    const delay = deregistrationDelay({ maxTasks: 10, drainSpread: Duration.seconds(30) });
    expect(delay.toSeconds()).toBe(Math.ceil(minDeregistrationDelayMs({ pollIntervalMs: 10_000, spreadMs: 30_000 }) / 1000));
    // Detection: 3 s in flight + (11 s + 3 s) + (22 s + 3 s) + (44 s + 3 s); then the 30 s spread and the 5 s margin.
    expect(delay.toSeconds()).toBe(124);
    prod.service.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      TargetGroupAttributes: Match.arrayWith([{ Key: 'deregistration_delay.timeout_seconds', Value: '124' }]),
    });
  });

  it('hands the tasks their target group, poll interval, spread and a keep-alive above the ALB idle timeout', () => {
    prod.service.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [
        Match.objectLike({
          Environment: Match.arrayWith([
            env('DRAIN_TARGET_GROUP_ARN', { Ref: Match.stringLikeRegexp('LoadBalancerTargets') }),
            env('DRAIN_POLL_INTERVAL_MS', '10000'),
            env('DRAIN_SPREAD_MS', '30000'),
            env('HTTP_KEEP_ALIVE_TIMEOUT_MS', '125000'),
            env('HTTP_HEADERS_TIMEOUT_MS', '126000'),
          ]),
        }),
      ],
    });
    const e = taskDrainEnv({ maxTasks: 2, drainSpread: Duration.seconds(10), idleTimeout: Duration.seconds(300) }, 'arn');
    expect(e).toMatchObject({ HTTP_KEEP_ALIVE_TIMEOUT_MS: '305000', HTTP_HEADERS_TIMEOUT_MS: '306000', DRAIN_SPREAD_MS: '10000' });
  });

  it('lets the task role read target health, and nothing else of ELB', () => {
    prod.service.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([{ Action: 'elasticloadbalancing:DescribeTargetHealth', Effect: 'Allow', Resource: '*' }]),
      },
    });
    const actions = JSON.stringify(prod.service.findResources('AWS::IAM::Policy')).match(/elasticloadbalancing:[A-Za-z]+/g);
    expect([...new Set(actions)]).toEqual(['elasticloadbalancing:DescribeTargetHealth']);
  });

  it('follows drainSpreadMs, and refuses one whose delay would pass the ALB maximum', () => {
    const short = synth({ drainSpreadMs: '10000' }, { lock: null });
    short.service.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      // maxTasks 2: 5 s polls, 48.5 s to detect, then the 10 s spread and the 5 s margin.
      TargetGroupAttributes: Match.arrayWith([{ Key: 'deregistration_delay.timeout_seconds', Value: '64' }]),
    });
    expect(() => resolveConfig({ drainSpreadMs: '3600000' })).toThrow(
      /drainSpreadMs \(3600000\) and maxTasks \(2, .*above the ALB's 3600 s/,
    );
    expect(() => resolveConfig({ drainSpreadMs: '1000' })).toThrow(/drainSpreadMs/);
  });
});
