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

  it('keeps idle connections longer than the ALB (125 s), headers longer still, and polls no target group unless told', () => {
    const c = loadConfig({});
    expect(c.http).toEqual({ keepAliveTimeoutMs: 125_000, headersTimeoutMs: 126_000 });
    expect(c.drain).toEqual({ spreadMs: 30_000, targetHealth: undefined });
  });

  it('polls the target group in its own region', () => {
    const arn = 'arn:aws:elasticloadbalancing:ap-southeast-2:123456789012:targetgroup/socketio-prod/0123456789abcdef';
    expect(loadConfig({ DRAIN_TARGET_GROUP_ARN: arn, DRAIN_POLL_INTERVAL_MS: '7000' }).drain.targetHealth).toEqual({
      targetGroupArn: arn,
      region: 'ap-southeast-2',
      pollIntervalMs: 7_000,
      endpoint: undefined,
    });
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
    [{ HTTP_KEEP_ALIVE_TIMEOUT_MS: '130000' }, /HTTP_HEADERS_TIMEOUT_MS \(126000\) must be above HTTP_KEEP_ALIVE_TIMEOUT_MS \(130000\)/],
    [{ DRAIN_TARGET_GROUP_ARN: 'my-targets' }, /DRAIN_TARGET_GROUP_ARN must be a target group ARN/],
    [
      { DRAIN_TARGET_GROUP_ARN: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/x/73e2d6bc24d8a067' },
      /must be a target group ARN/,
    ],
    [{ DRAIN_SPREAD_MS: '1000' }, /DRAIN_SPREAD_MS must be an integer from 5000 to/],
    [{ DRAIN_POLL_INTERVAL_MS: '100' }, /DRAIN_POLL_INTERVAL_MS must be an integer from 1000 to/],
    [{ ELBV2_ENDPOINT: 'not a url' }, /ELBV2_ENDPOINT must be an http/],
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
