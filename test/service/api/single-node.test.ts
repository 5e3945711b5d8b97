import { spawnSync } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { userRoom } from '../../../contract/app';
import { loadConfig } from '../../../service/src/config';
import { answersTo, badRequests, expectedAnswers } from './bad-input';
import {
  API_ENV,
  apiCall,
  BUNDLE,
  closeUserSockets,
  expectDelivery,
  KEY_A,
  KEY_B,
  openUserSocket,
  published,
  type ServiceNode,
  publishingTo,
  startFakeCloudWatch,
  startRedisServer,
  startServiceNode,
  tagged,
  unique,
  waitFor,
  withId,
} from './helpers';

const fail = (code: string) => ({ ok: false, error: { code, message: expect.any(String) } });

describe('backend API: one node without Redis', () => {
  let node: ServiceNode;
  beforeAll(async () => {
    node = await startServiceNode({
      env: { ...API_ENV, REDIS_URL: '', MAX_ROOMS_PER_SOCKET: '2', API_RATE_LIMIT_PER_KEY: '20', API_RATE_LIMIT_PER_KEY_BURST: '80' },
    });
  });
  afterEach(() => closeUserSockets());
  afterAll(async () => node?.stop());

  it('joins each socket to sys:user:<sub> at the handshake, and reserves sys: (not user:) over the socket', async () => {
    const alice = await openUserSocket(node.url, unique('alice'));
    const bob = await openUserSocket(node.url, unique('bob'));
    for (const room of [userRoom(bob.user), userRoom(alice.user), 'sys:anything', 'sys:']) {
      expect(await alice.request('room:join', { room })).toEqual(fail('forbidden'));
      expect(await alice.request('room:members', { room })).toEqual(fail('forbidden'));
      expect(await alice.request('chat:message', { room, text: 'hi' })).toEqual(fail('forbidden'));
    }
    expect(await alice.request('room:leave', { room: userRoom(alice.user) })).toEqual(fail('forbidden'));
    // Still in its user room, which does not count against MAX_ROOMS_PER_SOCKET (2 here).
    await expectDelivery(node.url, () => published(node.url, { event: 'test:mine', users: [alice.user] }), [alice], [bob], 'test:mine');
    // `user:` is an ordinary room of the app's now: joining `user:<bob>` is not joining bob's user room.
    const plain = `user:${bob.user}`;
    expect(await alice.request('room:join', { room: plain })).toEqual({ ok: true, room: plain });
    await expectDelivery(node.url, () => published(node.url, { event: 'test:bobs', users: [bob.user] }), [bob], [alice], 'test:bobs');
    await expectDelivery(node.url, () => published(node.url, { event: 'test:plain', rooms: [plain] }), [alice], [bob], 'test:plain');
    expect(await alice.request('room:join', { room: 'one' })).toEqual({ ok: true, room: 'one' });
    expect(await alice.request('room:join', { room: 'two' })).toEqual(fail('too_many_rooms'));
  });

  it('answers room:presence for a room the socket is in, under its own rate limit', async () => {
    const alice = await openUserSocket(node.url, unique('alice'));
    const room = unique('p');
    expect(await alice.request('room:presence', { room })).toEqual(fail('not_in_room'));
    expect(await alice.request('room:presence', { room: 'bad name' })).toEqual(fail('invalid_payload'));
    expect(await alice.request('room:join', { room })).toEqual({ ok: true, room });
    const answers = [];
    for (let i = 0; i < 7; i++) answers.push(await alice.request('room:presence', { room }));
    // Burst 5, 1 a second.
    expect(answers[0]).toEqual({ ok: true, room, users: [alice.user], connections: 1, truncated: false, partial: false });
    expect(answers.at(-1)).toEqual(fail('rate_limited'));
  });

  it('remembers an idempotencyKey in memory without Redis', async () => {
    const alice = await openUserSocket(node.url, unique('alice'));
    const { body, tag } = tagged({ event: 'test:idem', users: [alice.user], idempotencyKey: unique('k') });
    const first = await apiCall(node.url, 'POST', '/api/v1/publish', { body });
    // The same request with its fields in another order is the same request.
    const again = await apiCall(node.url, 'POST', '/api/v1/publish', {
      body: { idempotencyKey: body.idempotencyKey, args: body.args, users: body.users, event: body.event },
    });
    expect(first.body).toMatchObject({ ok: true, duplicate: false });
    expect(again.body).toEqual({ ok: true, id: first.body.id, duplicate: true });
    await expectDelivery(node.url, async () => tag, [alice], [], 'test:idem');
  });

  it('refuses bad input with its status and an error body, and delivers nothing of it', async () => {
    const alice = await openUserSocket(node.url, unique('alice'));
    const room = unique('bad');
    expect(await alice.request('room:join', { room })).toEqual({ ok: true, room });
    const bads = badRequests(room, alice.user, 100, 65_536);
    expect(await answersTo(node.url, bads)).toEqual(expectedAnswers(bads));
    const barrier = await published(node.url, { event: 'test:barrier', rooms: [room] });
    await alice.next('test:barrier', withId(barrier));
    expect(alice.received.map((r) => r.event)).toEqual(['sys:session', 'test:barrier']);
  });

  it('answers a flood on one key 429 with Retry-After, leaves the other key alone, and keeps serving', async () => {
    const alice = await openUserSocket(node.url, unique('alice'));
    const statuses: number[] = [];
    const floods = Array.from({ length: 200 }, () => tagged({ event: 'test:flood', users: [alice.user] }));
    const answers = await Promise.all(floods.map(({ body }) => apiCall(node.url, 'POST', '/api/v1/publish', { key: KEY_B, body })));
    for (const a of answers) statuses.push(a.status);
    const throttled = answers.filter((a) => a.status === 429);
    expect(throttled.length).toBeGreaterThan(100);
    expect(throttled[0].headers.get('retry-after')).toBe('1');
    expect(throttled[0].body).toEqual(fail('rate_limited'));
    expect(throttled[0].body.error?.message).toBe('this key is over API_RATE_LIMIT_PER_KEY (20/s, burst 80) on this node: retry after 1 s');
    expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
    const accepted = floods.filter((_, i) => answers[i].status === 200).map((f) => f.tag);
    // Only what was accepted is delivered.
    await alice.next('test:flood', withId(accepted.at(-1)!));
    const barrier = await published(node.url, { event: 'test:barrier', users: [alice.user] });
    await alice.next('test:barrier', withId(barrier));
    expect(alice.count('test:flood')).toBe(accepted.length);
    expect((await apiCall(node.url, 'GET', '/api/v1/users/x/presence', { key: KEY_A })).status).toBe(200);
  });
});

describe('backend API: guests, keys unset, Redis away, metrics', () => {
  it('uses the guest id as the user without auth', async () => {
    const node = await startServiceNode({ env: { REDIS_URL: '', API_KEYS: KEY_A } });
    try {
      const guest = await openUserSocket(node.url, 'ignored', { auth: {} });
      const other = await openUserSocket(node.url, 'ignored', { auth: {} });
      expect(guest.session.user).toMatch(/^guest-/);
      await expectDelivery(
        node.url,
        () => published(node.url, { event: 'test:guest', users: [guest.session.user] }),
        [guest],
        [other],
        'test:guest',
      );
      expect((await apiCall(node.url, 'GET', `/api/v1/users/${guest.session.user}/presence`)).body).toMatchObject({
        online: true,
        connections: 1,
      });
    } finally {
      closeUserSockets();
      await node.stop();
    }
  });

  it('answers 404 under /api/ and says so at start when API_KEYS is not set', async () => {
    const node = await startServiceNode({ env: { REDIS_URL: '', API_KEYS: '' } });
    try {
      expect(node.logs.some((l) => l.msg === 'API_KEYS is not set: the backend API (/api/v1/) is off and answers 404')).toBe(true);
      for (const [method, path] of [
        ['POST', '/api/v1/publish'],
        ['GET', '/api/v1/rooms/a/presence'],
      ]) {
        const body = method === 'POST' ? { event: 'x' } : undefined;
        expect(await apiCall(node.url, method, path, { body })).toMatchObject({ status: 404, body: fail('not_found') });
      }
      expect((await fetch(`${node.url}/healthz`)).status).toBe(200);
    } finally {
      await node.stop();
    }
  });

  it('answers 503 and does nothing while Redis is away, and serves again once it is back', async () => {
    const redis = await startRedisServer();
    const node = await startServiceNode({ env: { ...API_ENV, REDIS_URL: redis.url, REDIS_RECONNECT_MAX_DELAY_MS: '100' } });
    try {
      const alice = await openUserSocket(node.url, unique('alice'));
      await redis.stop();
      await waitFor(
        () => fetch(`${node.url}/healthz`).then((r) => r.json() as Promise<{ redis: string }>),
        (h) => h.redis === 'reconnecting',
      );
      const { body, tag } = tagged({ event: 'test:away', users: [alice.user], idempotencyKey: 'away' });
      const refused = await apiCall(node.url, 'POST', '/api/v1/publish', { body });
      expect(refused).toMatchObject({ status: 503, body: fail('unavailable') });
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(await apiCall(node.url, 'GET', `/api/v1/rooms/r/presence`)).toMatchObject({ status: 503, body: fail('unavailable') });
      expect(await apiCall(node.url, 'POST', `/api/v1/users/${alice.user}/disconnect`)).toMatchObject({ status: 503 });
      expect(alice.socket.connected).toBe(true);
      await redis.start();
      const back = await waitFor(
        () => apiCall(node.url, 'POST', '/api/v1/publish', { body }),
        (a) => a.status === 200,
      );
      // The refused attempt claimed nothing: the retry is the first delivery.
      expect(back.body).toMatchObject({ ok: true, duplicate: false });
      await alice.next('test:away', withId(tag));
      expect(alice.count('test:away')).toBe(1);
    } finally {
      closeUserSockets();
      await node.stop();
      await redis.stop();
    }
  });

  it('publishes API request counts by status, publish latency as a distribution and presence time-outs to CloudWatch', async () => {
    const cloudwatch = await startFakeCloudWatch();
    const node = await startServiceNode({
      env: {
        REDIS_URL: '',
        API_KEYS: KEY_A,
        ...publishingTo(cloudwatch.url),
      },
    });
    try {
      for (let i = 0; i < 3; i++) await apiCall(node.url, 'POST', '/api/v1/publish', { body: { event: 'test:m' } });
      await apiCall(node.url, 'POST', '/api/v1/publish', { raw: '{' });
      await apiCall(node.url, 'POST', '/api/v1/publish', { key: null, body: {} });
      type Datum = { MetricName: string; Value?: number; Values?: number[]; Counts?: number[]; Unit: string };
      const sum = (name: string) =>
        cloudwatch.received
          .flatMap((r) => r.body.MetricData as unknown as Datum[])
          .filter((d) => d.MetricName === name)
          .reduce((s, d) => s + (d.Value ?? 0), 0);
      await waitFor(
        () => [sum('ApiRequests2xx'), sum('ApiRequests4xx'), sum('ApiRequestsUnauthorized')],
        (v) => v[0] === 3 && v[1] === 1 && v[2] === 1,
      );
      const latency = cloudwatch.received
        .flatMap((r) => r.body.MetricData as unknown as Datum[])
        .filter((d) => d.MetricName === 'ApiPublishLatency');
      expect(latency.reduce((n, d) => n + (d.Counts ?? []).reduce((a, b) => a + b, 0), 0)).toBe(3);
      expect(latency[0]).toMatchObject({ Unit: 'Milliseconds', Values: expect.any(Array) });
      expect(latency[0].Value).toBeUndefined();
      expect(sum('ApiRequestsThrottled') + sum('ApiRequests5xx') + sum('PresenceQueryTimeouts')).toBe(0);
    } finally {
      await node.stop();
      await cloudwatch.close();
    }
  });
});

describe('backend API config', () => {
  it('reads API_KEYS and the API limits', () => {
    expect(loadConfig({ API_KEYS: ` ${KEY_A} , ${KEY_B} ` }).api).toMatchObject({
      keys: [KEY_A, KEY_B],
      maxBodyBytes: 65_536,
      maxTargets: 100,
      idempotencyWindowMs: 300_000,
      presence: { timeoutMs: 2_000, maxUsers: 1_000 },
    });
    expect(loadConfig({}).api.keys).toEqual([]);
  });

  it.each([
    ['short-key-123', /API_KEYS each key must be 32 to 512 characters/],
    [`${KEY_A},${KEY_A}`, /API_KEYS must not list a key twice/],
    [`${KEY_A} ${KEY_B}`, /API_KEYS keys must be printable ASCII without spaces/],
  ])('refuses API_KEYS=%s without repeating it', (keys, message) => {
    expect(() => loadConfig({ API_KEYS: keys })).toThrow(message);
    const run = spawnSync(process.execPath, [BUNDLE], {
      env: { ...process.env, API_KEYS: keys, PORT: '0' },
      encoding: 'utf8',
      timeout: 10_000,
    });
    expect(run.status).toBe(78);
    expect(run.stderr).toMatch(message);
    for (const key of keys.split(/[, ]/)) expect(run.stderr).not.toContain(key);
  });
});
