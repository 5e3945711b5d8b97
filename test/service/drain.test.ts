import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Socket } from 'socket.io-client';
import { DRAIN_RECONNECT_MARGIN_MS, minDeregistrationDelayMs } from '../../contract/env';
import { type ElbStandIn, type ReceivedCall, startElbStandIn, type TargetHealthAnswer } from '../../local/elb-stand-in';
import { startRedisServer, type RedisServer } from '../../local/redis-server';
import { type ServiceNode, startServiceNode } from '../../local/service-node';
import { closeAllClients, getJson, openClient, type TestClient } from '../helpers/clients';

const disconnectReason = (socket: Socket) => new Promise<string>((resolve) => socket.once('disconnect', (reason) => resolve(reason)));
const ARN = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/socketio/73e2d6bc24d8a067';

describe('SIGTERM', () => {
  let redis: RedisServer | undefined;
  afterEach(() => closeAllClients());
  afterAll(async () => redis?.stop());

  it('drains: clients see a reconnectable disconnect, and the node exits 0 within DRAIN_TIMEOUT_MS', async () => {
    redis = await startRedisServer();
    const node = await startServiceNode({ env: { REDIS_URL: redis.url, DRAIN_TIMEOUT_MS: '8000' } });
    const clients = await Promise.all(Array.from({ length: 5 }, () => openClient(node.url, { reconnection: true })));
    const reasons = Promise.all(clients.map((c) => disconnectReason(c.socket)));

    const exit = node.stop('SIGTERM');
    // "transport close" is a disconnect the client recovers from by itself; "io server disconnect" is not.
    expect(await reasons).toEqual(Array(5).fill('transport close'));
    for (const c of clients) expect(c.socket.active).toBe(true);
    // The node's own hard stop exits 1 when the bound passes, so 0 means it drained in time.
    expect(await exit).toEqual({ code: 0, signal: null });
    const messages = node.logs.map((l) => l.msg);
    expect(messages).toContain('draining');
    expect(messages.indexOf('closed')).toBeGreaterThan(messages.indexOf('draining'));
  });
});

/** The next stand-in call, or the next `n`. */
const calls = (elb: ElbStandIn, n = 1) =>
  new Promise<ReceivedCall[]>((resolve) => {
    const got: ReceivedCall[] = [];
    const on = (call: ReceivedCall) => {
      if (got.push(call) < n) return;
      elb.events.off('call', on);
      resolve(got);
    };
    elb.events.on('call', on);
  });

describe('the target draining in the load balancer (DescribeTargetHealth against a local ELB API)', () => {
  let elb: ElbStandIn;
  let answer: TargetHealthAnswer | ((n: number) => TargetHealthAnswer);
  let node: ServiceNode | undefined;
  let n = 0;

  // The shortest interval the service takes, so that the backoff of two throttled polls fits a test.
  const drainEnv = { pollIntervalMs: 1_000, spreadMs: 5_000 };

  beforeEach(async () => {
    n = 0;
    answer = { state: 'healthy' };
    elb = await startElbStandIn({ targetGroupArn: ARN, health: () => (typeof answer === 'function' ? answer(++n) : answer) });
    node = await startServiceNode({
      env: {
        DRAIN_TARGET_GROUP_ARN: ARN,
        ELBV2_ENDPOINT: elb.url,
        ECS_CONTAINER_METADATA_URI_V4: elb.metadataUri('node'),
        DRAIN_POLL_INTERVAL_MS: String(drainEnv.pollIntervalMs),
        DRAIN_SPREAD_MS: String(drainEnv.spreadMs),
        AWS_ACCESS_KEY_ID: 'AKIDTESTTESTTEST',
        AWS_SECRET_ACCESS_KEY: 'test-secret',
        AWS_SESSION_TOKEN: '',
      },
    });
  });
  afterEach(async () => {
    closeAllClients();
    await node?.stop();
    await elb.close();
  });

  it('refuses new sockets, spreads the disconnects over DRAIN_SPREAD_MS, and waits for SIGTERM to exit', async () => {
    const clients: TestClient[] = await Promise.all(Array.from({ length: 20 }, () => openClient(node!.url, { reconnection: false })));
    const gone = clients.map((c) => disconnectReason(c.socket).then((reason) => ({ reason, at: Date.now() })));
    await calls(elb);
    answer = { state: 'draining', reason: 'Target.DeregistrationInProgress' };
    const disconnects = await Promise.all(gone);

    expect(disconnects.map((d) => d.reason)).toEqual(Array(20).fill('transport close'));
    const times = disconnects.map((d) => d.at).sort((a, b) => a - b);
    // Evenly over 5 s: the last goes at least 3 s after the first (a loaded machine only stretches it).
    expect(times.at(-1)! - times[0]).toBeGreaterThanOrEqual(3_000);
    expect(await getJson(`${node!.url}/readyz`)).toMatchObject({ status: 503, body: { status: 'draining' } });
    // A new handshake is refused at once, so the client's retry goes through the load balancer to another node.
    const handshake = await fetch(`${node!.url}/socket.io/?EIO=4&transport=polling`);
    expect(handshake.status).toBe(403);
    // Drained, but ECS only sends SIGTERM once the deregistration delay is over: the node is still up.
    expect(node!.child.exitCode).toBeNull();
    expect(node!.logs.map((l) => l.msg)).toContain('target draining: the load balancer sends no new requests');
    expect(await node!.stop('SIGTERM')).toEqual({ code: 0, signal: null });
  });

  it('keeps serving through every polling failure, and still drains once the target drains', async () => {
    const failures: TargetHealthAnswer[] = [
      { error: { status: 500, code: 'HealthUnavailable', message: 'internal error' } },
      { error: { status: 400, code: 'ThrottlingException', message: 'Rate exceeded' } },
      'hang',
      { raw: { status: 200, body: 'not xml at all' } },
      { error: { status: 403, code: 'AccessDenied', message: 'not authorized' } },
    ];
    answer = (i) => failures[i - 1] ?? { state: 'healthy' };
    const client = await openClient(node!.url);
    const seen = await calls(elb, failures.length + 1);
    expect(seen).toHaveLength(failures.length + 1);
    // Everything as before: ready, the socket still there, a new one welcome.
    expect(await getJson(`${node!.url}/readyz`)).toMatchObject({ status: 200, body: { status: 'ready' } });
    expect(client.socket.connected).toBe(true);
    await openClient(node!.url);
    expect(node!.child.exitCode).toBeNull();
    expect(node!.logs.filter((l) => l.msg === 'draining' || l.msg === 'drain begins: no new sockets, the open ones spread')).toEqual([]);

    const gone = disconnectReason(client.socket);
    answer = { state: 'draining', reason: 'Target.DeregistrationInProgress' };
    expect(await gone).toBe('transport close');
  });

  it('throttled twice as its target drains, begins the spread within the margin the deregistration delay leaves', async () => {
    // The deregistration delay infra gives the ALB for this drain (contract/env.ts), and what it leaves for detection.
    const delayMs = minDeregistrationDelayMs(drainEnv);
    const detectWithinMs = delayMs - drainEnv.spreadMs - DRAIN_RECONNECT_MARGIN_MS;
    const clients = await Promise.all(Array.from({ length: 10 }, () => openClient(node!.url, { reconnection: false })));
    const gone = clients.map((c) => disconnectReason(c.socket).then(() => Date.now()));
    // The worst moment: the target drains just after a poll was answered healthy; the next two polls are throttled.
    const throttled: TargetHealthAnswer = { error: { status: 400, code: 'ThrottlingException', message: 'Rate exceeded' } };
    let drainingSince = 0;
    const after: string[] = [];
    answer = () => {
      if (drainingSince === 0) {
        drainingSince = Date.now();
        return { state: 'healthy' };
      }
      after.push(after.length < 2 ? 'throttled' : 'draining');
      return after.length <= 2 ? throttled : { state: 'draining', reason: 'Target.DeregistrationInProgress' };
    };
    const closedAt = await Promise.all(gone);

    expect(after.slice(0, 3)).toEqual(['throttled', 'throttled', 'draining']);
    const began = node!.logs.find((l) => l.msg === 'drain begins: no new sockets, the open ones spread');
    const beganAfterMs = Date.parse(String(began?.time)) - drainingSince;
    expect(beganAfterMs, `the spread began ${beganAfterMs} ms after the target drained`).toBeLessThanOrEqual(detectWithinMs);
    // Every client was moved with the reconnect margin still to run before the ALB closes what is left.
    const lastAfterMs = Math.max(...closedAt) - drainingSince;
    expect(lastAfterMs, `the last client left ${lastAfterMs} ms after the target drained`).toBeLessThanOrEqual(
      delayMs - DRAIN_RECONNECT_MARGIN_MS,
    );
  });
});
