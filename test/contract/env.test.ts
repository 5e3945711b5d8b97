import { describe, expect, it } from 'vitest';
import {
  ADAPTER_MODES,
  drainDetectionMs,
  drainPollTimeoutMs,
  drainPollWaitIntervals,
  envSchema,
  minDeregistrationDelayMs,
  minDrainPollIntervalMs,
  RENAMED_ADAPTERS,
} from '../../contract/env';
import { loadConfig } from '../../service/src/config';

describe('ADAPTER', () => {
  it.each(ADAPTER_MODES)('accepts %s', (mode) => {
    expect(envSchema.parse({ ADAPTER: mode }).ADAPTER).toBe(mode);
  });

  it('defaults to pubsub', () => {
    expect(envSchema.parse({}).ADAPTER).toBe('pubsub');
  });

  it.each(Object.entries(RENAMED_ADAPTERS))('refuses the old spelling %s and names %s', (old, mode) => {
    expect(() => loadConfig({ ADAPTER: old, REDIS_URL: 'redis://127.0.0.1:1' })).toThrow(
      new RegExp(`ADAPTER ${old} was renamed: use ADAPTER=${mode}`),
    );
  });

  it('lists the modes for anything else', () => {
    expect(() => loadConfig({ ADAPTER: 'kafka' })).toThrow(/ADAPTER must be one of pubsub, streams, sharded/);
  });
});

describe('the drain budget', () => {
  it("keeps the polls of the tasks polling at once within a fifth of the ELB API's 10 tokens a second", () => {
    expect(minDrainPollIntervalMs(2)).toBe(1_000);
    expect(minDrainPollIntervalMs(10)).toBe(5_000);
    expect(minDrainPollIntervalMs(100)).toBe(50_000);
    for (const tasks of [1, 7, 10, 33]) expect((tasks * 1_000) / minDrainPollIntervalMs(tasks)).toBeLessThanOrEqual(2);
  });

  it('bounds a poll by half its interval, at most 3 s', () => {
    expect(drainPollTimeoutMs(1_000)).toBe(500);
    expect(drainPollTimeoutMs(5_000)).toBe(2_500);
    expect(drainPollTimeoutMs(60_000)).toBe(3_000);
  });

  it('waits one interval after an answer, then 2, 4 and at most 8 after throttled polls in a row', () => {
    expect([0, 1, 2, 3, 4, 10].map(drainPollWaitIntervals)).toEqual([1, 2, 4, 8, 8, 8]);
  });

  it('detects a drain within the answer in flight, then three waits and calls: the normal one and two throttled', () => {
    // 0.5 s in flight + (1.1 s + 0.5 s) + (2.2 s + 0.5 s) + (4.4 s + 0.5 s).
    expect(drainDetectionMs(1_000)).toBe(9_700);
    // 3 s in flight + (11 s + 3 s) + (22 s + 3 s) + (44 s + 3 s): no float error adds a millisecond.
    expect(drainDetectionMs(10_000)).toBe(89_000);
    expect(drainDetectionMs(50_000)).toBe(3_000 + 55_000 + 3_000 + 110_000 + 3_000 + 220_000 + 3_000);
  });

  it('derives the shortest deregistration delay: the slowest detection, the spread, and the reconnect margin', () => {
    expect(minDeregistrationDelayMs({ pollIntervalMs: 5_000, spreadMs: 30_000 })).toBe(48_500 + 30_000 + 5_000);
    expect(minDeregistrationDelayMs({ pollIntervalMs: 1_000, spreadMs: 6_000 })).toBe(9_700 + 6_000 + 5_000);
  });
});
