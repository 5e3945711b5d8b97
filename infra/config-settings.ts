/**
 * Where a deployment's config comes from (docs/deploy.md, "Where the settings live"): the stage's checked-in settings
 * in cdk.json, under `context.deployments.<stage>`, then the keys given with `-c key=value` for one run. The CDK CLI
 * hands the app cdk.json's context and `-c` merged into one; since the checked-in settings sit under one key, every
 * config key at the top of that context came from the command line, and synth says which.
 */
import { DEPLOYMENT_SETTINGS_KEY, STAGES } from '../contract/stack';
import {
  CONFIG_KEYS,
  CONFIG_SHAPE,
  ConfigEnvironment,
  configContext,
  DeploymentConfig,
  resolveConfig,
  throwConfigError,
  unknownKeyProblem,
} from './config';

export interface ConfigSources {
  /** The stage, as the command line gives it (the default stage when it gives none). */
  readonly stage: string;
  /** What resolveConfig takes: the stage's checked-in settings, overridden by the command line's keys. */
  readonly context: Readonly<Record<string, unknown>>;
  /** The config keys given with -c, `stage` included. */
  readonly commandLine: readonly string[];
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const where = (stage: string) => `cdk.json's context.${DEPLOYMENT_SETTINGS_KEY}.${stage}`;

/** The problems of the checked-in settings: their shape, stages and keys, each naming where it is. */
function settingsProblems(settings: unknown): string[] {
  if (settings === undefined) return [];
  if (!isObject(settings)) return [`cdk.json's context.${DEPLOYMENT_SETTINGS_KEY} must be an object of stages (${STAGES.join(', ')})`];
  return Object.entries(settings).flatMap(([stage, values]) => {
    if (!(STAGES as readonly string[]).includes(stage)) {
      return [`cdk.json's context.${DEPLOYMENT_SETTINGS_KEY} has an unknown stage "${stage}": the stages are ${STAGES.join(', ')}`];
    }
    if (!isObject(values)) return [`${where(stage)} must be an object of config keys`];
    return Object.keys(values).flatMap((key) => {
      if (key === 'stage') return [`${where(stage)} may not set stage: the command line picks it (-c stage=${stage})`];
      return (CONFIG_KEYS as readonly string[]).includes(key) ? [] : [`${where(stage)}: ${unknownKeyProblem(key)}`];
    });
  });
}

/**
 * Splits the CDK context into the stage's checked-in settings and the command line's keys. `fileContext` is cdk.json's
 * own context: a config key at its top level would hold for every stage and pass for a command-line key, so it is
 * refused, naming where it belongs.
 */
export function configSources(context: Readonly<Record<string, unknown>>, fileContext: Readonly<Record<string, unknown>>): ConfigSources {
  const misplaced = Object.keys(configContext(fileContext)).map(
    (key) => `cdk.json's context sets ${key} for every stage: move it under context.${DEPLOYMENT_SETTINGS_KEY}.<stage>`,
  );
  const settings = context[DEPLOYMENT_SETTINGS_KEY];
  const problems = [...misplaced, ...settingsProblems(settings)];
  if (problems.length > 0) throwConfigError(problems);

  const commandLine = configContext(context);
  // A bad stage finds no settings here; resolveConfig then names it.
  const picked = CONFIG_SHAPE.stage.safeParse(commandLine.stage === '' ? undefined : commandLine.stage);
  const stage = picked.success ? picked.data : String(commandLine.stage);
  const stageSettings = isObject(settings) && isObject(settings[stage]) ? settings[stage] : {};
  return { stage, context: { ...stageSettings, ...commandLine }, commandLine: Object.keys(commandLine) };
}

/** The line synth prints: the stage, where its settings came from, and which keys the command line gave. */
export function describeSources(sources: ConfigSources): string {
  const overrides = sources.commandLine.filter((key) => key !== 'stage');
  const given =
    sources.commandLine.length > 0 ? `from the command line: ${sources.commandLine.join(', ')}` : 'nothing from the command line';
  const warning = overrides.length > 0 ? ` (for this run only: a later deploy without them changes the stack; keep them in cdk.json)` : '';
  return `deployment config (stage ${sources.stage}): ${where(sources.stage)}; ${given}${warning}`;
}

/**
 * The config of one synth, as bin/app.ts builds it: `context` is the CDK's (cdk.json's context and -c merged),
 * `fileContext` cdk.json's own. Throws one DeploymentConfigError naming every problem.
 */
export function deploymentConfig(
  context: Readonly<Record<string, unknown>>,
  fileContext: Readonly<Record<string, unknown>>,
  env: ConfigEnvironment = {},
): { readonly sources: ConfigSources; readonly config: DeploymentConfig } {
  const sources = configSources(context, fileContext);
  return { sources, config: resolveConfig(sources.context, env) };
}
