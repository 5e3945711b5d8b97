import { describe, expect, it } from 'vitest';
import { DEPLOYMENT_SETTINGS_KEY } from '../../contract/stack';
import { configSources, deploymentConfig, describeSources } from '../../infra/config-settings';
import { PROD } from './helpers';

const { stage: _stage, ...prodRequired } = PROD;
/** cdk.json's context as the CLI hands it over: its own keys, and the checked-in settings of both stages. */
const fileContext = {
  '@aws-cdk/core:defaultCrossStackReferences': 'strong',
  [DEPLOYMENT_SETTINGS_KEY]: { dev: { minTasks: 1, maxTasks: 3 }, prod: { ...prodRequired, maxTasks: 12 } },
};

describe('deployment settings: cdk.json per stage, -c for one run', () => {
  it('starts each stage from its own checked-in settings, and -c overrides them for the run', () => {
    expect(deploymentConfig(fileContext, fileContext).config).toMatchObject({ stage: 'dev', maxTasks: 3 });
    const prod = deploymentConfig({ ...fileContext, stage: 'prod' }, fileContext);
    expect(prod.config).toMatchObject({ stage: 'prod', maxTasks: 12, minTasks: 2, certificateArn: PROD.certificateArn });
    expect(prod.sources.commandLine).toEqual(['stage']);
    const override = deploymentConfig({ ...fileContext, stage: 'prod', maxTasks: '20' }, fileContext);
    expect(override.config.maxTasks).toBe(20);
    expect(override.sources.commandLine).toEqual(['stage', 'maxTasks']);
  });

  it('says where the config came from, and warns about keys that hold for this run only', () => {
    expect(describeSources(configSources(fileContext, fileContext))).toBe(
      "deployment config (stage dev): cdk.json's context.deployments.dev; nothing from the command line",
    );
    expect(describeSources(configSources({ ...fileContext, stage: 'prod' }, fileContext))).toBe(
      "deployment config (stage prod): cdk.json's context.deployments.prod; from the command line: stage",
    );
    expect(describeSources(configSources({ ...fileContext, stage: 'prod', alarmEmails: 'a@b.c' }, fileContext))).toBe(
      "deployment config (stage prod): cdk.json's context.deployments.prod; from the command line: stage, alarmEmails " +
        '(for this run only: a later deploy without them changes the stack; keep them in cdk.json)',
    );
  });

  it("prod's paging rule sees the settings: without a subscriber in them, synth names the keys", () => {
    const unpaged = {
      [DEPLOYMENT_SETTINGS_KEY]: { prod: { corsOrigins: [PROD.corsOrigins], certificateArn: PROD.certificateArn } },
    };
    expect(() => deploymentConfig({ ...unpaged, stage: 'prod' }, unpaged)).toThrow(
      /prod needs a paging subscriber: alarmEmails or alarmHttpsEndpoints .*or pagingUnsetReason/,
    );
    const paged = { [DEPLOYMENT_SETTINGS_KEY]: { prod: { ...unpaged.deployments.prod, alarmEmails: ['oncall@example.com'] } } };
    expect(deploymentConfig({ ...paged, stage: 'prod' }, paged).config.alarmEmails).toEqual(['oncall@example.com']);
  });

  it.each([
    [{ minTasks: 2 }, /cdk.json's context sets minTasks for every stage: move it under context.deployments.<stage>/],
    [{ [DEPLOYMENT_SETTINGS_KEY]: { staging: {} } }, /unknown stage "staging": the stages are dev, prod/],
    [
      { [DEPLOYMENT_SETTINGS_KEY]: { prod: { minTask: 2 } } },
      /context.deployments.prod: unknown key "minTask" \(did you mean minTasks\?\)/,
    ],
    [{ [DEPLOYMENT_SETTINGS_KEY]: { dev: { stage: 'prod' } } }, /context.deployments.dev may not set stage: the command line picks it/],
    [{ [DEPLOYMENT_SETTINGS_KEY]: ['dev'] }, /context.deployments must be an object of stages \(dev, prod\)/],
  ])('refuses misplaced settings, naming where they are: %j', (file, message) => {
    expect(() => configSources(file, file)).toThrow(message);
  });

  it('a bad stage on the command line is named by the schema, not lost', () => {
    expect(() => deploymentConfig({ stage: 'prd' }, {})).toThrow(/stage must be one of dev, prod, got "prd"/);
  });
});
