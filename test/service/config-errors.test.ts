import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../service/src/config';
import { BUNDLE } from '../../local/service-node';

describe('config', () => {
  it('applies defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ port: 3000, maxTextBytes: 4096, drainTimeoutMs: 20_000, pingIntervalMs: 25_000, pingTimeoutMs: 20_000 });
    expect(c.redis).toBeUndefined();
    expect(c.metrics.enabled).toBe(false);
  });

  it('accepts rediss:// with an AUTH token', () => {
    const c = loadConfig({ REDIS_URL: 'rediss://master.example.cache.amazonaws.com:6379', REDIS_PASSWORD: 'token' });
    expect(c.redis).toMatchObject({ url: 'rediss://master.example.cache.amazonaws.com:6379', password: 'token' });
  });

  it.each([
    [{ PORT: 'eighty' }, /PORT must be an integer from 0 to 65535/],
    [{ REDIS_URL: 'http://localhost:6379' }, /REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL/],
    [{ MAX_TEXT_BYTES: '0' }, /MAX_TEXT_BYTES must be an integer from 1 to/],
    [{ METRICS_ENABLED: 'yes' }, /METRICS_ENABLED must be true or false/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL/],
    [{ MAX_TEXT_BYTES: '65536', MAX_HTTP_BUFFER_BYTES: '65536' }, /MAX_HTTP_BUFFER_BYTES .* must be at least MAX_TEXT_BYTES \+ 512/],
  ])('rejects %j', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('stops the bundled server with one clear line and a non-zero exit', () => {
    const run = spawnSync(process.execPath, [BUNDLE], {
      env: { ...process.env, PORT: '0', DRAIN_TIMEOUT_MS: 'soon' },
      encoding: 'utf8',
      timeout: 10_000,
    });
    expect(run.status).toBe(78);
    expect(run.stderr.trim().split('\n')).toEqual(['invalid configuration: DRAIN_TIMEOUT_MS must be an integer from 100 to 120000']);
  });
});
