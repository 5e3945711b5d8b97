import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../infra/config';
import { stackNames } from '../../contract/stack';
import { OUTPUT_KEYS, planQueries } from '../../oncall/metrics';
import { DEFAULT_STACK } from '../../oncall/options';

describe('on-call defaults match the infrastructure', () => {
  it('the default stack is the dev service stack the CDK app creates', () => {
    expect(DEFAULT_STACK).toBe(stackNames(resolveConfig({ stage: 'dev' })).service);
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
