import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../service/src/config';
import { BUNDLE } from '../../local/service-node';

describe('config', () => {
  it('applies defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ port: 3000, drainTimeoutMs: 20_000, pingIntervalMs: 25_000, pingTimeoutMs: 20_000 });
    expect(c.redis).toBeUndefined();
    expect(c.metrics.enabled).toBe(false);
    expect(c).toMatchObject({ trustedProxyHops: 1, logRefusalsPerS: 10 });
    expect(c.limits).toMatchObject({
      preAuth: { maxSessions: 2_000, maxSessionsPerIp: 64, timeoutMs: 5_000, maxMessageBytes: 8_192 },
      // A binary packet's attachments within 10 s, and 32 MiB of them on a node.
      partialPackets: { timeoutMs: 10_000, maxBytes: 33_554_432 },
      // 100 events a second from a canvas or a game pass; the packet budget sits above the event limits.
      perSocket: { ratePerS: 120, burst: 240 },
      perUser: { ratePerS: 300, burst: 600 },
      // A user may message a full node (MAX_CONNECTIONS) once a second, twice at once.
      userDeliveries: { ratePerS: 20_000, burst: 40_000 },
      disconnectAfterRejected: 500,
      packets: { ratePerS: 400, burst: 1_000 },
      bytes: { ratePerS: 131_072, burst: 524_288 },
      // Several tabs on several devices stay far below a user's share; the last 10 % of a node are for small holders.
      share: { perUser: 100, perGuestIp: 1_000, reserved: 2_000, reservedBelow: 4 },
    });
  });

  it('holds as many TCP connections as the sockets and pre-auth sessions it admits, and a quarter more, unless told', () => {
    expect(loadConfig({}).http.maxTcpConnections).toBe(27_500);
    expect(
      loadConfig({ MAX_CONNECTIONS: '1000', PREAUTH_MAX_SESSIONS: '100', PREAUTH_MAX_SESSIONS_PER_IP: '10' }).http.maxTcpConnections,
    ).toBe(1_375);
    expect(loadConfig({ MAX_TCP_CONNECTIONS: '30000' }).http.maxTcpConnections).toBe(30_000);
    expect(loadConfig({ MAX_CONNECTIONS: '4' }).limits.share.reserved).toBe(0);
  });

  it("leaves the chat's settings to the chat: MAX_TEXT_BYTES and MAX_ROOMS_PER_SOCKET are not the platform's", () => {
    expect(() => loadConfig({ MAX_TEXT_BYTES: '0', MAX_ROOMS_PER_SOCKET: 'many' })).not.toThrow();
    expect(loadConfig({})).not.toHaveProperty('maxTextBytes');
  });

  it('keeps idle connections longer than the ALB (125 s), headers longer still, and polls no target group unless told', () => {
    const c = loadConfig({});
    expect(c.http).toMatchObject({ keepAliveTimeoutMs: 125_000, headersTimeoutMs: 126_000 });
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

  it("takes the rotation's next AUTH token, equal to the current one too (a task started between the two secret updates)", () => {
    const url = 'rediss://master.example.cache.amazonaws.com:6379';
    expect(loadConfig({ REDIS_URL: url, REDIS_PASSWORD: 'now', REDIS_PASSWORD_NEXT: 'next' }).redis).toMatchObject({
      password: 'now',
      passwordNext: 'next',
    });
    expect(loadConfig({ REDIS_URL: url, REDIS_PASSWORD: 'same', REDIS_PASSWORD_NEXT: 'same' }).redis).toMatchObject({
      passwordNext: 'same',
    });
  });

  it.each([
    [{ PORT: 'eighty' }, /PORT must be an integer from 0 to 65535/],
    [{ REDIS_URL: 'http://localhost:6379' }, /REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL/],
    [{ METRICS_ENABLED: 'yes' }, /METRICS_ENABLED must be true or false/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL/],
    [{ TRUSTED_PROXY_HOPS: '-1' }, /TRUSTED_PROXY_HOPS must be an integer from 0 to 10/],
    [{ PREAUTH_TIMEOUT_MS: '50' }, /PREAUTH_TIMEOUT_MS must be an integer from 100 to 60000/],
    [{ CONNECTION_PACKETS_PER_S: '0' }, /CONNECTION_PACKETS_PER_S must be an integer from 1 to/],
    [{ CONNECTION_PACKETS_PER_S: '100' }, /CONNECTION_PACKETS_PER_S \(100\) must be at least RATE_LIMIT_PER_SOCKET \(120\)/],
    [{ RATE_LIMIT_PER_SOCKET: '500' }, /CONNECTION_PACKETS_PER_S \(400\) must be at least RATE_LIMIT_PER_SOCKET \(500\)/],
    [
      { CONNECTION_PACKETS_BURST: '739' },
      /CONNECTION_PACKETS_BURST \(739\) must be at least RATE_LIMIT_PER_SOCKET_BURST \+ RATE_LIMIT_DISCONNECT_AFTER \(740\)/,
    ],
    [{ RATE_LIMIT_DISCONNECT_AFTER: '761' }, /CONNECTION_PACKETS_BURST \(1000\) must be at least .* \(1001\)/],
    [{ CONNECTION_BURST_BYTES: '2048' }, /CONNECTION_BURST_BYTES \(2048\) must be at least MAX_HTTP_BUFFER_BYTES \(65536\)/],
    [
      { PREAUTH_MAX_SESSIONS: '10', PREAUTH_MAX_SESSIONS_PER_IP: '11' },
      /PREAUTH_MAX_SESSIONS_PER_IP \(11\) must not exceed PREAUTH_MAX_SESSIONS \(10\)/,
    ],
    [{ MAX_CONNECTIONS_PER_USER: '0' }, /MAX_CONNECTIONS_PER_USER must be an integer from 1 to 1000000/],
    [{ MAX_CONNECTIONS_RESERVED_PERCENT: '60' }, /MAX_CONNECTIONS_RESERVED_PERCENT must be an integer from 0 to 50/],
    [{ MAX_CONNECTIONS_PER_USER: '3' }, /MAX_CONNECTIONS_RESERVED_BELOW \(4\) must not exceed MAX_CONNECTIONS_PER_USER \(3\)/],
    [{ MAX_CONNECTIONS_PER_GUEST_IP: '2', MAX_CONNECTIONS_RESERVED_BELOW: '3' }, /MAX_CONNECTIONS_RESERVED_BELOW \(3\) must not exceed/],
    [
      { MAX_TCP_CONNECTIONS: '21999' },
      /MAX_TCP_CONNECTIONS \(21999\) must be 0 \(derived\) or at least MAX_CONNECTIONS \+ PREAUTH_MAX_SESSIONS \(22000\)/,
    ],
    [{ PREAUTH_MAX_MESSAGE_BYTES: '512' }, /PREAUTH_MAX_MESSAGE_BYTES must be an integer from 1024 to/],
    [{ PARTIAL_PACKET_TIMEOUT_MS: '10' }, /PARTIAL_PACKET_TIMEOUT_MS must be an integer from 100 to 300000/],
    [{ PARTIAL_PACKETS_MAX_BYTES: '1024' }, /PARTIAL_PACKETS_MAX_BYTES must be an integer from 65536 to/],
    [
      { PARTIAL_PACKETS_MAX_BYTES: '65536', MAX_HTTP_BUFFER_BYTES: '131072', CONNECTION_BURST_BYTES: '131072' },
      /PARTIAL_PACKETS_MAX_BYTES \(65536\) must be at least MAX_HTTP_BUFFER_BYTES \(131072\)/,
    ],
    [{ CORS_ORIGINS: 'https://a.example.com', CORS_ORIGINS_UNSET_REASON: 'no browsers' }, /set one or the other/],
    [{ HEALTH_DETAILS_TOKEN: 'short' }, /HEALTH_DETAILS_TOKEN must be at least 32 characters/],
    [{ AUTH_MAX_ROOM_PATTERNS: '0' }, /AUTH_MAX_ROOM_PATTERNS must be an integer from 1 to 10000/],
    [{ HTTP_KEEP_ALIVE_TIMEOUT_MS: '130000' }, /HTTP_HEADERS_TIMEOUT_MS \(126000\) must be above HTTP_KEEP_ALIVE_TIMEOUT_MS \(130000\)/],
    [{ DRAIN_TARGET_GROUP_ARN: 'my-targets' }, /DRAIN_TARGET_GROUP_ARN must be a target group ARN/],
    [{ REDIS_URL: 'rediss://cache:6379', REDIS_PASSWORD_NEXT: 'next' }, /REDIS_PASSWORD_NEXT .*: set REDIS_PASSWORD too/],
    [
      { DRAIN_TARGET_GROUP_ARN: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/x/73e2d6bc24d8a067' },
      /must be a target group ARN/,
    ],
    [{ DRAIN_SPREAD_MS: '1000' }, /DRAIN_SPREAD_MS must be an integer from 5000 to/],
    [{ DRAIN_POLL_INTERVAL_MS: '100' }, /DRAIN_POLL_INTERVAL_MS must be an integer from 1000 to/],
    [{ ELBV2_ENDPOINT: 'not a url' }, /ELBV2_ENDPOINT must be an http/],
    [{ USER_DELIVERIES_PER_S: '0' }, /USER_DELIVERIES_PER_S must be an integer from 1 to 1000000000/],
    [{ USER_DELIVERIES_BURST: 'lots' }, /USER_DELIVERIES_BURST must be an integer from 1 to 1000000000/],
    [{ API_DELIVERIES_PER_KEY_PER_S: '1.5' }, /API_DELIVERIES_PER_KEY_PER_S must be an integer from 1 to 1000000000/],
    [{ API_DELIVERIES_PER_KEY_BURST: '-1' }, /API_DELIVERIES_PER_KEY_BURST must be an integer from 1 to 1000000000/],
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

  it('stops the bundled server the same way when the packet budget sits below the event limits', () => {
    const run = spawnSync(process.execPath, [BUNDLE], {
      env: { ...process.env, PORT: '0', RATE_LIMIT_PER_SOCKET_BURST: '400', RATE_LIMIT_DISCONNECT_AFTER: '700' },
      encoding: 'utf8',
      timeout: 10_000,
    });
    expect(run.status).toBe(78);
    expect(run.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^invalid configuration: CONNECTION_PACKETS_BURST \(1000\) must be at least .* \(1100\) so that/),
    ]);
  });
});
