import { afterEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { CloudFormationClient, ListStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import { DEFAULT_STACK, parseOptions } from '../../oncall/options';
import { UsageError } from '../../tools/cli';
import { fakeClients, run } from './helpers';

const cfn = mockClient(CloudFormationClient);
afterEach(() => cfn.reset());

describe('option parsing', () => {
  it('uses the default stack, then ONCALL_STACK, then --stack', () => {
    expect(parseOptions(['status'], {})).toEqual({
      command: 'status',
      stack: DEFAULT_STACK,
      region: undefined,
      profile: undefined,
      hours: 3,
    });
    expect(parseOptions(['status'], { ONCALL_STACK: 'socketio-prod-service' }).stack).toBe('socketio-prod-service');
    expect(parseOptions(['status', '--stack', 'Other'], { ONCALL_STACK: 'socketio-prod-service' }).stack).toBe('Other');
  });

  it('--stage picks a stage of the deployment settings; --stack or ONCALL_STACK name any stack', () => {
    expect(DEFAULT_STACK).toBe('socketio-prod-service');
    expect(parseOptions(['status', '--stage', 'dev'], {}).stack).toBe('socketio-dev-service');
    expect(parseOptions(['status', '--stage', 'prod'], { ONCALL_STACK: 'Other' }).stack).toBe('socketio-prod-service');
    expect(() => parseOptions(['status', '--stage', 'qa'], {})).toThrow(new UsageError('--stage must be dev or prod, got "qa"'));
    expect(() => parseOptions(['status', '--stage', 'dev', '--stack', 'X'], {})).toThrow(
      new UsageError('--stage and --stack exclude each other'),
    );
  });

  it('reads --region, --profile and --hours in either form and position', () => {
    expect(parseOptions(['--region=eu-west-1', 'metrics', '--profile', 'oncall', '--hours', '1.5'], {})).toEqual({
      command: 'metrics',
      stack: DEFAULT_STACK,
      region: 'eu-west-1',
      profile: 'oncall',
      hours: 1.5,
    });
  });

  it('treats --help and -h as the help command', () => {
    expect(parseOptions(['--help'], {}).command).toBe('help');
    expect(parseOptions(['status', '-h'], {}).command).toBe('help');
  });

  it.each([
    [['frobnicate'], 'unknown command "frobnicate": use status or metrics'],
    [[], 'missing command: status or metrics'],
    [['status', '--verbose'], 'unknown option --verbose'],
    [['status', '--stack'], '--stack needs a value'],
    [['status', 'extra'], 'unexpected argument "extra"'],
    [['status', '--hours', '2'], '--hours applies to the metrics command only'],
    [['metrics', '--hours', '0'], '--hours must be a number above 0 and at most 336, got "0"'],
    [['metrics', '--hours', 'three'], '--hours must be a number above 0 and at most 336, got "three"'],
    [['metrics', '--hours', '1000'], '--hours must be a number above 0 and at most 336, got "1000"'],
  ])('rejects %j', (argv, message) => {
    expect(() => parseOptions(argv, {})).toThrow(new UsageError(message));
  });
});

describe('runCli usage handling', () => {
  it('prints help to stdout with exit code 0', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('Usage: npm run oncall -- <command> [options]');
    expect(r.err).toBe('');
  });

  it('reports an unknown command or option on one stderr line with exit code 64 (EX_USAGE), calling no AWS API', async () => {
    let built = 0;
    const clients = () => {
      built += 1;
      throw new Error('must not be called');
    };
    for (const [argv, line] of [
      [['oops'], 'oncall: unknown command "oops": use status or metrics (see --help)\n'],
      [['status', '--nope'], 'oncall: unknown option --nope (see --help)\n'],
    ] as const) {
      const r = await run([...argv], { clients });
      expect(r.code).toBe(64);
      expect(r.err).toBe(line);
      expect(r.out).toBe('');
    }
    expect(built).toBe(0);
  });

  it('hands --region and --profile to the client factory and --stack to CloudFormation', async () => {
    cfn.on(ListStackResourcesCommand).resolves({ StackResourceSummaries: [] });
    const seen: unknown[] = [];
    const r = await run(['status', '--region', 'eu-central-1', '--profile', 'oncall', '--stack', 'Blue'], {
      clients: (o) => {
        seen.push(o);
        return fakeClients();
      },
    });
    expect(seen).toEqual([{ region: 'eu-central-1', profile: 'oncall' }]);
    expect(cfn.commandCalls(ListStackResourcesCommand).map((c) => c.args[0].input.StackName)).toEqual(['Blue']);
    expect(r).toMatchObject({ code: 0, out: 'Blue: no CloudWatch alarms in this stack\n', err: '' });
  });
});
