import { describe, expect, it } from 'vitest';
import {
  ADAPTER_MODES,
  drainPollTimeoutMs,
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
  it("keeps the polls of maxTasks tasks within a fifth of the ELB API's 10 tokens a second", () => {
    expect(minDrainPollIntervalMs(2)).toBe(1_000);
    expect(minDrainPollIntervalMs(10)).toBe(5_000);
    expect(minDrainPollIntervalMs(100)).toBe(50_000);
    for (const maxTasks of [1, 7, 10, 33]) expect((maxTasks * 1_000) / minDrainPollIntervalMs(maxTasks)).toBeLessThanOrEqual(2);
  });

  it('bounds a poll by half its interval, at most 3 s', () => {
    expect(drainPollTimeoutMs(1_000)).toBe(500);
    expect(drainPollTimeoutMs(5_000)).toBe(2_500);
    expect(drainPollTimeoutMs(60_000)).toBe(3_000);
  });

  it('derives the shortest deregistration delay: the slowest detection, the spread, and the reconnect margin', () => {
    // 5 s × 1.1 jitter + a 2.5 s poll bound + 30 s spread + 5 s margin.
    expect(minDeregistrationDelayMs({ pollIntervalMs: 5_000, spreadMs: 30_000 })).toBe(43_000);
    expect(minDeregistrationDelayMs({ pollIntervalMs: 1_000, spreadMs: 6_000 })).toBe(12_600);
  });
});
