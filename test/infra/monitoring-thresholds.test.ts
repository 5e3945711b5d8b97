import { describe, expect, it, vi } from 'vitest';
import { CONFIG_SHAPE, PRESETS, resolveConfig } from '../../infra/config';
import {
  MONITORING_THRESHOLDS,
  pickThresholds,
  ResolvedThresholds,
  settleThresholds,
  THRESHOLD_KEYS,
  ThresholdSpec,
  thresholdRangeProblems,
  thresholdRuleProblems,
} from '../../infra/monitoring-thresholds';
import { docTable, PROD } from './helpers';

const derived = { alarmCacheHostCpuPercent: () => 45, alarmCacheConnectionsMax: () => 62 };

describe('the thresholds table', () => {
  it('gives every level a one-line doc, a range, and a default within it (or a derivation)', () => {
    for (const key of THRESHOLD_KEYS) {
      const spec: ThresholdSpec = MONITORING_THRESHOLDS[key];
      expect(key).toMatch(/^alarm[A-Z]/);
      expect(spec.doc).toMatch(/^\S.{10,}$/);
      expect(spec.range.min).toBeLessThanOrEqual(spec.range.max);
      if (spec.default !== undefined) {
        expect(spec.default).toBeGreaterThanOrEqual(spec.range.min);
        expect(spec.default).toBeLessThanOrEqual(spec.range.max);
      } else {
        expect(Object.keys(derived)).toContain(key);
      }
    }
  });

  it("is where the config schema takes its alarm keys from: same doc, and dev's level is the default", () => {
    const dev = resolveConfig({});
    for (const key of THRESHOLD_KEYS) {
      const spec: ThresholdSpec = MONITORING_THRESHOLDS[key];
      expect(CONFIG_SHAPE[key].description).toBe(spec.doc);
      expect(dev[key]).toBe(spec.default);
    }
  });
});

describe('settling the levels', () => {
  it('takes the given level, else the default, else derives it; a derivation runs only when needed', () => {
    const hostCpu = vi.fn(() => 45);
    const th = settleThresholds(
      { alarmCacheMemoryPercent: 70, alarmCacheHostCpuPercent: 60 },
      { ...derived, alarmCacheHostCpuPercent: hostCpu },
    );
    expect(th.alarmCacheMemoryPercent).toBe(70);
    expect(th.alarmCacheHostCpuPercent).toBe(60);
    expect(hostCpu).not.toHaveBeenCalled();
    expect(th.alarmCacheConnectionsMax).toBe(62);
    expect(th.alarmCacheEngineCpuWarningPercent).toBe(MONITORING_THRESHOLDS.alarmCacheEngineCpuWarningPercent.default);
    expect(Object.keys(th).sort()).toEqual([...THRESHOLD_KEYS].sort());
  });

  it('picks exactly the threshold keys out of a larger object', () => {
    const picked = pickThresholds({ ...resolveConfig({ ...PROD }) });
    expect(Object.keys(picked).sort()).toEqual([...THRESHOLD_KEYS].sort());
    expect(picked.alarmElb5xxPerMinute).toBe(25);
  });
});

describe('rules on the levels', () => {
  const base = (): ResolvedThresholds => settleThresholds({}, derived);
  const name = (key: string) => `thresholds.${key}`;

  it('checks each level against its range', () => {
    expect(thresholdRangeProblems(base(), name).filter(Boolean)).toEqual([]);
    const problems = thresholdRangeProblems({ ...base(), alarmTaskCpuPercent: 0, alarmCacheSwapMiB: 2_000_000 }, name).filter(Boolean);
    expect(problems).toEqual([
      'thresholds.alarmCacheSwapMiB must be from 1 to 1048576, got 2000000',
      'thresholds.alarmTaskCpuPercent must be from 1 to 100, got 0',
    ]);
  });

  it('keeps warnings below critical levels and unhealthy targets below maxTasks, under the caller’s names', () => {
    expect(thresholdRuleProblems(base(), 2, name).filter(Boolean)).toEqual([]);
    const broken = { ...base(), alarmCacheEngineCpuWarningPercent: 95, alarmUnhealthyTargets: 2 };
    expect(thresholdRuleProblems(broken, 2, (key) => key).filter(Boolean)).toEqual([
      'alarmCacheEngineCpuWarningPercent (95) must be below alarmCacheEngineCpuCriticalPercent (90)',
      'alarmUnhealthyTargets must be from 0 to 1, got 2',
    ]);
  });
});

describe('docs/operations.md', () => {
  it("lists every threshold key once, with the table's default and what prod changes", () => {
    const rows = docTable('operations.md', '### Thresholds and why');
    const seen: string[] = [];
    for (const row of rows) {
      const keys = row.key.split(' / ').map((k) => k.replace(/^`|`$/g, ''));
      const defaults = row.default.split(' / ');
      keys.forEach((key, i) => {
        if (!(key in MONITORING_THRESHOLDS)) return;
        seen.push(key);
        const spec: ThresholdSpec = MONITORING_THRESHOLDS[key as keyof typeof MONITORING_THRESHOLDS];
        const cell = defaults[i] ?? defaults[0];
        if (spec.default === undefined) expect(cell, key).toMatch(/^unset: /);
        else expect(cell, key).toMatch(new RegExp(`(^|[^\\d])${spec.default}([^\\d]|$)`));
        const prod = (PRESETS.prod as Record<string, unknown>)[key];
        if (prod === undefined) expect(row.prod, key).toBe('');
        else expect(row.prod, key).toMatch(new RegExp(`^${prod}\\b`));
      });
    }
    expect([...seen].sort()).toEqual([...THRESHOLD_KEYS].sort());
  });
});
