import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../infra/config';
import { configSources } from '../../infra/config-settings';
import { DEPLOYMENT_SETTINGS_KEY, PAGED_STAGE, stackNames, STAGES } from '../../contract/stack';
import { OUTPUT_KEYS, planQueries } from '../../oncall/metrics';
import { DEFAULT_STACK, parseOptions, stageTarget } from '../../oncall/options';
import { PROD, ROOT } from '../infra/helpers';

/** The stack and region the CDK app deploys `stage` to, from a cdk.json as bin/app.ts reads it. */
function deployedTarget(cdkJson: { context: Record<string, unknown> }, stage: string, extra: Record<string, unknown> = {}) {
  const config = resolveConfig(configSources({ ...cdkJson.context, stage, ...extra }, cdkJson.context).context);
  return { stack: stackNames(config).service, region: config.region };
}

describe('on-call defaults match the infrastructure', () => {
  it("the default stack is the paged stage's service stack, as the checked-in cdk.json names it", () => {
    const cdkJson = JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
    expect(PAGED_STAGE).toBe('prod');
    // What prod needs besides its settings comes from the command line here; it does not change the stack's name.
    const { stage: _stage, ...required } = PROD;
    expect(DEFAULT_STACK).toBe(deployedTarget(cdkJson, PAGED_STAGE, required).stack);
    expect(parseOptions(['status'], {}).stack).toBe(DEFAULT_STACK);
  });

  it("a stage's appName and region in the settings move the CLI's default with the stacks", () => {
    const { stage: _stage, ...required } = PROD;
    const cdkJson = {
      context: {
        [DEPLOYMENT_SETTINGS_KEY]: {
          dev: { appName: 'chat' },
          prod: {
            ...required,
            appName: 'chat',
            region: 'eu-west-1',
            certificateArn: PROD.certificateArn.replace('us-east-1', 'eu-west-1'),
          },
        },
      },
    };
    for (const stage of STAGES) {
      const deployed = deployedTarget(cdkJson, stage);
      expect(stageTarget(stage, cdkJson)).toEqual({ stack: deployed.stack, region: stage === 'prod' ? deployed.region : undefined });
    }
    expect(stageTarget('prod', cdkJson)).toEqual({ stack: 'chat-prod-service', region: 'eu-west-1' });
  });

  it('prefers the listed member ids (cluster mode names) over a count', () => {
    const members = ['socketio-prod-0001-001', 'socketio-prod-0001-002', 'socketio-prod-0002-001'];
    const outputs = new Map<string, string>([
      [OUTPUT_KEYS.replicationGroupId, 'socketio-prod'],
      [OUTPUT_KEYS.numCacheClusters, '4'],
      [OUTPUT_KEYS.cacheMemberIds, members.join(',')],
    ]);
    const plan = planQueries(outputs, 60);
    const ids = new Set(
      plan.queries.flatMap((q) => q.MetricStat?.Metric?.Dimensions?.filter((d) => d.Name === 'CacheClusterId').map((d) => d.Value) ?? []),
    );
    expect([...ids]).toEqual(members);
    expect(plan.skipped.filter((s) => s.includes('Redis'))).toEqual([]);
  });

  it('falls back to <id>-00N from NumCacheClusters when the list is absent', () => {
    const plan = planQueries(
      new Map([
        [OUTPUT_KEYS.replicationGroupId, 'g'],
        [OUTPUT_KEYS.numCacheClusters, '2'],
      ]),
      60,
    );
    const ids = new Set(
      plan.queries.flatMap((q) => q.MetricStat?.Metric?.Dimensions?.filter((d) => d.Name === 'CacheClusterId').map((d) => d.Value) ?? []),
    );
    expect([...ids]).toEqual(['g-001', 'g-002']);
  });
});
