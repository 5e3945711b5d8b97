import { afterEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { CloudFormationClient, ListStackResourcesCommand, type StackResourceSummary } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, DescribeAlarmsCommand, type MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { extractRunbook } from '../../oncall/status';
import { fakeClients, NOW, run } from './helpers';

const cfn = mockClient(CloudFormationClient);
const cw = mockClient(CloudWatchClient);
afterEach(() => {
  cfn.reset();
  cw.reset();
});

const minutesAgo = (m: number) => new Date(NOW.getTime() - m * 60_000);
const resource = (type: string, id: string): StackResourceSummary => ({
  LogicalResourceId: id.replace(/\W/g, ''),
  PhysicalResourceId: id,
  ResourceType: type,
  ResourceStatus: 'CREATE_COMPLETE',
  LastUpdatedTimestamp: NOW,
});
const description = (slug: string) => `What it means, in a sentence.\nWhat to check first.\nRunbook: docs/runbooks/${slug}.md`;

describe('extractRunbook', () => {
  it('takes the path from the last Runbook: line', () => {
    expect(extractRunbook(description('redis-errors'))).toBe('docs/runbooks/redis-errors.md');
    expect(extractRunbook('Runbook: docs/runbooks/a.md\nmore\nRunbook: docs/runbooks/b.md\n')).toBe('docs/runbooks/b.md');
    expect(extractRunbook('no runbook here')).toBeUndefined();
    expect(extractRunbook(undefined)).toBeUndefined();
  });
});

describe('oncall status', () => {
  it('lists the stack alarms firing first, then INSUFFICIENT_DATA, then OK, with age, reason and runbook', async () => {
    cfn
      .on(ListStackResourcesCommand, { StackName: 'socketio-prod-service' })
      .resolvesOnce({
        StackResourceSummaries: [
          resource('AWS::CloudWatch::Alarm', 'svc-cpu-high'),
          resource('AWS::ECS::Service', 'arn:aws:ecs:us-east-1:111111111111:service/c/s'),
          resource('AWS::CloudWatch::Alarm', 'svc-redis-errors'),
        ],
        NextToken: 'page-2',
      })
      .resolvesOnce({
        StackResourceSummaries: [
          resource('AWS::CloudWatch::CompositeAlarm', 'svc-degraded'),
          resource('AWS::CloudWatch::Alarm', 'svc-no-traffic'),
          resource('AWS::SNS::Topic', 'arn:aws:sns:us-east-1:111111111111:alarms'),
        ],
      });
    cw.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [
        {
          AlarmName: 'svc-cpu-high',
          StateValue: 'OK',
          StateUpdatedTimestamp: minutesAgo(60 * 26),
          StateReason: 'Threshold Crossed: no datapoints were above 80.',
          AlarmDescription: description('cpu-high'),
        },
        {
          AlarmName: 'svc-redis-errors',
          StateValue: 'ALARM',
          StateUpdatedTimestamp: minutesAgo(12),
          StateReason: 'Threshold Crossed: 1 out of the last 1 datapoints [42.0 (10/03/26 11:47:00)] was greater than the threshold (0.0).',
          AlarmDescription: description('redis-adapter-errors'),
        },
        {
          AlarmName: 'svc-no-traffic',
          StateValue: 'INSUFFICIENT_DATA',
          StateUpdatedTimestamp: minutesAgo(125),
          StateReason: 'Insufficient Data: 1 datapoint was unknown.',
          AlarmDescription: 'No runbook line.',
        },
      ],
      CompositeAlarms: [
        {
          AlarmName: 'svc-degraded',
          StateValue: 'ALARM',
          StateUpdatedTimestamp: minutesAgo(3),
          StateReason: 'arn:aws:cloudwatch:us-east-1:111111111111:alarm:svc-redis-errors transitioned to ALARM',
          AlarmDescription: description('degraded'),
        },
      ],
    });

    const r = await run(['status'], { clients: fakeClients() });
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.lines).toEqual([
      'socketio-prod-service: 4 alarms, 2 ALARM, 1 INSUFFICIENT_DATA, 1 OK',
      'ALARM              3m ago (2026-03-10 11:57:00Z)     svc-degraded (composite)  docs/runbooks/degraded.md              ' +
        'arn:aws:cloudwatch:us-east-1:111111111111:alarm:svc-redis-errors transitioned to ALARM',
      'ALARM              12m ago (2026-03-10 11:48:00Z)    svc-redis-errors          docs/runbooks/redis-adapter-errors.md  ' +
        'Threshold Crossed: 1 out of the last 1 datapoints [42.0 (10/03/26 11:47:00)] was greater than the threshold (0.0).',
      'INSUFFICIENT_DATA  2h05m ago (2026-03-10 09:55:00Z)  svc-no-traffic            -                                      ' +
        'Insufficient Data: 1 datapoint was unknown.',
      'OK                 1d02h ago (2026-03-09 10:00:00Z)  svc-cpu-high              docs/runbooks/cpu-high.md              ' +
        'Threshold Crossed: no datapoints were above 80.',
    ]);

    const calls = cw.commandCalls(DescribeAlarmsCommand).map((c) => c.args[0].input);
    expect(calls).toEqual([
      {
        AlarmNames: ['svc-cpu-high', 'svc-redis-errors', 'svc-degraded', 'svc-no-traffic'],
        AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
        NextToken: undefined,
      },
    ]);
    expect(cfn.commandCalls(ListStackResourcesCommand).map((c) => c.args[0].input.NextToken)).toEqual([undefined, 'page-2']);
  });

  it('asks DescribeAlarms for at most 100 names at a time and follows its NextToken', async () => {
    const names = Array.from({ length: 230 }, (_, i) => `alarm-${String(i).padStart(3, '0')}`);
    cfn.on(ListStackResourcesCommand).resolves({ StackResourceSummaries: names.map((n) => resource('AWS::CloudWatch::Alarm', n)) });
    const alarm = (n: string): MetricAlarm => ({ AlarmName: n, StateValue: 'OK', StateUpdatedTimestamp: minutesAgo(1), StateReason: 'ok' });
    cw.on(DescribeAlarmsCommand).callsFake((input: { AlarmNames: string[]; NextToken?: string }) => {
      // Answer each chunk in two pages, to exercise NextToken.
      const half = Math.ceil(input.AlarmNames.length / 2);
      return input.NextToken
        ? { MetricAlarms: input.AlarmNames.slice(half).map(alarm) }
        : { MetricAlarms: input.AlarmNames.slice(0, half).map(alarm), NextToken: 'more' };
    });
    const r = await run(['status'], { clients: fakeClients() });
    expect(r.code).toBe(0);
    const inputs = cw.commandCalls(DescribeAlarmsCommand).map((c) => c.args[0].input);
    expect(inputs.map((i) => [i.AlarmNames?.length, i.NextToken])).toEqual([
      [100, undefined],
      [100, 'more'],
      [100, undefined],
      [100, 'more'],
      [30, undefined],
      [30, 'more'],
    ]);
    expect(r.lines[0]).toBe('socketio-prod-service: 230 alarms, 0 ALARM, 0 INSUFFICIENT_DATA, 230 OK');
    expect(r.lines).toHaveLength(231);
  });

  it('trims long reasons to one line', async () => {
    cfn.on(ListStackResourcesCommand).resolves({ StackResourceSummaries: [resource('AWS::CloudWatch::Alarm', 'a')] });
    cw.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [
        { AlarmName: 'a', StateValue: 'ALARM', StateUpdatedTimestamp: minutesAgo(0.5), StateReason: `first line\n${'x'.repeat(400)}` },
      ],
    });
    const r = await run(['status'], { clients: fakeClients() });
    expect(r.lines).toHaveLength(2);
    expect(r.lines[1]).toMatch(/^ALARM {2}30s ago \(2026-03-10 11:59:30Z\) {2}a {2}- {2}first line x+…$/);
    expect(r.lines[1].length).toBeLessThan(250);
  });
});
