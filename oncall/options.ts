import { DEFAULT_APP_NAME, stackNames } from '../contract/stack';
import { numberOption, parseCommandLine } from '../tools/args';
import { HelpRequested, UsageError } from '../tools/cli';
import { DEFAULT_HOURS } from './metrics';

/** The dev stage's service stack under the default app name. */
export const DEFAULT_STACK = stackNames({ appName: DEFAULT_APP_NAME, stage: 'dev' }).service;
export const COMMANDS = ['status', 'metrics', 'help'] as const;
export type Command = (typeof COMMANDS)[number];
/** Up to two weeks: one-minute CloudWatch data is kept for 15 days. */
export const MAX_HOURS = 336;

export interface Options {
  command: Command;
  stack: string;
  region?: string;
  profile?: string;
  hours: number;
}

export const USAGE = `Usage: npm run oncall -- <command> [options]

Commands:
  status     the stack's CloudWatch alarms, firing first, with reason and runbook
  metrics    sparklines of Redis latency and CPU, connected clients and ECS task count

Options:
  --stack NAME     CloudFormation stack (default: $ONCALL_STACK or ${DEFAULT_STACK})
  --region R       AWS region (default: the SDK chain, e.g. AWS_REGION)
  --profile P      named profile from ~/.aws (default: the SDK chain)
  --hours N        metrics only: how far back to draw (default ${DEFAULT_HOURS}, max ${MAX_HOURS})
  -h, --help       this text`;

export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv): Options {
  let parsed;
  try {
    parsed = parseCommandLine(
      argv,
      { stack: { type: 'string' }, region: { type: 'string' }, profile: { type: 'string' }, hours: { type: 'string' } },
      { positionals: true },
    );
  } catch (err) {
    if (err instanceof HelpRequested) return { command: 'help', stack: DEFAULT_STACK, hours: DEFAULT_HOURS };
    throw err;
  }
  const { values, positionals } = parsed;
  if (positionals.length === 0) throw new UsageError('missing command: status or metrics');
  const [command, ...extra] = positionals;
  if (!isCommand(command)) throw new UsageError(`unknown command "${command}": use status or metrics`);
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  if (values.hours !== undefined && command !== 'metrics') throw new UsageError('--hours applies to the metrics command only');
  for (const key of ['stack', 'region', 'profile'] as const) {
    if (values[key] !== undefined && values[key].trim() === '') throw new UsageError(`--${key} needs a value`);
  }
  return {
    command,
    stack: values.stack ?? (env.ONCALL_STACK || DEFAULT_STACK),
    region: values.region,
    profile: values.profile,
    hours: numberOption('--hours', values.hours, { above: 0, max: MAX_HOURS, default: DEFAULT_HOURS }),
  };
}

function isCommand(s: string): s is Command {
  return (COMMANDS as readonly string[]).includes(s);
}
