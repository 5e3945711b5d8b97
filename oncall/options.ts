import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_APP_NAME, DEPLOYMENT_SETTINGS_KEY, PAGED_STAGE, STAGES, stackNames, type StageName } from '../contract/stack';
import { numberOption, parseCommandLine } from '../tools/args';
import { HelpRequested, UsageError } from '../tools/cli';
import { DEFAULT_HOURS } from './metrics';

/** The checked-in deployment settings: the CDK app deploys each stage under the appName and in the region they give. */
const CDK_JSON = join(__dirname, '..', 'cdk.json');

/** A stage's service stack and its region, as the deployment settings name them. */
export interface StageTarget {
  readonly stack: string;
  /** The stage's `region` setting; unset, the SDK chain's (as the CDK app takes the CLI profile's). */
  readonly region?: string;
}

/**
 * The service stack of `stage` and its region, from cdk.json's context.deployments.<stage> (appName, region), so that a
 * team's own appName or region needs no --stack. Values synth would refuse are not second-guessed here: they fall back
 * to the CDK app's defaults.
 */
export function stageTarget(stage: StageName, cdkJson: unknown = JSON.parse(readFileSync(CDK_JSON, 'utf8'))): StageTarget {
  const deployments = (cdkJson as { context?: Record<string, unknown> } | undefined)?.context?.[DEPLOYMENT_SETTINGS_KEY];
  const settings = (deployments as Record<string, Record<string, unknown> | undefined> | undefined)?.[stage];
  const text = (value: unknown) => (typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined);
  return {
    stack: stackNames({ appName: text(settings?.appName) ?? DEFAULT_APP_NAME, stage }).service,
    region: text(settings?.region),
  };
}

/** The stage on-call reads by default: the one whose alarms page. */
export const DEFAULT_STAGE: StageName = PAGED_STAGE;
/** Its service stack, as the checked-in settings name it. */
export const DEFAULT_STACK = stageTarget(DEFAULT_STAGE).stack;
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
  --stage S        ${STAGES.join(' or ')}: its service stack and region as cdk.json's deployment settings name them
                   (default ${DEFAULT_STAGE}, the stage that pages: ${DEFAULT_STACK})
  --stack NAME     CloudFormation stack (default: $ONCALL_STACK, else the --stage's)
  --region R       AWS region (default: the --stage's region setting, else the SDK chain, e.g. AWS_REGION)
  --profile P      named profile from ~/.aws (default: the SDK chain)
  --hours N        metrics only: how far back to draw (default ${DEFAULT_HOURS}, max ${MAX_HOURS})
  -h, --help       this text`;

export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv): Options {
  let parsed;
  try {
    parsed = parseCommandLine(
      argv,
      {
        stack: { type: 'string' },
        stage: { type: 'string' },
        region: { type: 'string' },
        profile: { type: 'string' },
        hours: { type: 'string' },
      },
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
  for (const key of ['stack', 'stage', 'region', 'profile'] as const) {
    if (values[key] !== undefined && values[key].trim() === '') throw new UsageError(`--${key} needs a value`);
  }
  if (values.stage !== undefined && !isStage(values.stage))
    throw new UsageError(`--stage must be ${STAGES.join(' or ')}, got "${values.stage}"`);
  if (values.stage !== undefined && values.stack !== undefined) throw new UsageError('--stage and --stack exclude each other');
  const named = values.stack ?? (values.stage === undefined ? env.ONCALL_STACK || undefined : undefined);
  // A stack named by hand may live anywhere: only the settings' own stack takes the settings' region.
  const target = named === undefined ? stageTarget(isStage(values.stage) ? values.stage : DEFAULT_STAGE) : { stack: named };
  return {
    command,
    stack: target.stack,
    region: values.region ?? target.region,
    profile: values.profile,
    hours: numberOption('--hours', values.hours, { above: 0, max: MAX_HOURS, default: DEFAULT_HOURS }),
  };
}

function isStage(s: string | undefined): s is StageName {
  return (STAGES as readonly (string | undefined)[]).includes(s);
}

function isCommand(s: string): s is Command {
  return (COMMANDS as readonly string[]).includes(s);
}
