import { describe, expect, it } from 'vitest';
import { ADAPTER_MODES, envSchema, RENAMED_ADAPTERS } from '../../contract/env';
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
