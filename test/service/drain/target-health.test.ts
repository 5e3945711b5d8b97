import { captureLogs } from '../../helpers/logs';
import { once } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { drainPollTimeoutMs, drainPollWaitIntervals } from '../../../contract/env';
import { type ElbStandIn, healthXml, type ReceivedCall, startElbStandIn, type TargetHealthAnswer } from '../../../local/elb-stand-in';
import { buildElbClient, createDescribeTargetHealth } from '../../../service/src/drain/describe-target-health';
import { ownTargetFromMetadata } from '../../../service/src/drain/own-target';
import { createTargetHealthPoller } from '../../../service/src/drain/target-health';

const ARN = 'arn:aws:elasticloadbalancing:eu-west-3:123456789012:targetgroup/socketio/73e2d6bc24d8a067';
const INTERVAL_MS = 100;
const PORT = 3000;

/** The next `n` calls the stand-in receives, each with when it came. */
function nextCalls(elb: ElbStandIn, n: number): Promise<Array<{ call: ReceivedCall; at: number }>> {
  return new Promise((resolve) => {
    const got: Array<{ call: ReceivedCall; at: number }> = [];
    const on = (call: ReceivedCall) => {
      got.push({ call, at: Date.now() });
      if (got.length < n) return;
      elb.events.off('call', on);
      resolve(got);
    };
    elb.events.on('call', on);
  });
}

describe("the drain signal: DescribeTargetHealth for the node's own target, on the wire", () => {
  let elb: ElbStandIn;
  let answer: (n: number) => TargetHealthAnswer;
  let calls = 0;
  let poller: ReturnType<typeof createTargetHealthPoller> | undefined;
  let client: ReturnType<typeof buildElbClient> | undefined;

  beforeEach(async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDTESTTESTTEST');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test-secret');
    vi.stubEnv('AWS_SESSION_TOKEN', '');
    calls = 0;
    answer = () => ({ state: 'healthy' });
    elb = await startElbStandIn({ targetGroupArn: ARN, taskAddress: '10.0.2.106', health: () => answer(++calls) });
  });
  afterEach(async () => {
    poller?.stop();
    client?.destroy();
    await elb.close();
    vi.unstubAllEnvs();
  });

  function start(onDraining = vi.fn(), opts: { metadataUri?: string } = {}) {
    const timeoutMs = drainPollTimeoutMs(1_000);
    const logs = captureLogs();
    client = buildElbClient({ region: 'eu-west-3', endpoint: elb.url }, timeoutMs);
    poller = createTargetHealthPoller({
      ownTarget: ownTargetFromMetadata(opts.metadataUri ?? elb.metadataUri('node-1'), PORT, timeoutMs),
      describe: createDescribeTargetHealth(client, ARN, timeoutMs),
      intervalMs: INTERVAL_MS,
      logger: logs.logger,
      onDraining,
    });
    poller.start();
    return { onDraining, logs };
  }

  it("asks for its own IP (from task metadata v4) and port, signed for the target group's region", async () => {
    const [{ call }] = await (start(), nextCalls(elb, 1));
    expect(call).toMatchObject({
      action: 'DescribeTargetHealth',
      version: '2015-12-01',
      targetGroupArn: ARN,
      targets: [{ id: '10.0.2.106', port: PORT }],
      contentType: expect.stringMatching(/^application\/x-www-form-urlencoded/),
    });
    expect(call.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDTESTTESTTEST\/\d{8}\/eu-west-3\/elasticloadbalancing\/aws4_request/,
    );
  });

  it('keeps polling while the target is initial, healthy, unhealthy or unused, and drains once it reads draining', async () => {
    const states = ['initial', 'healthy', 'unhealthy', 'unused', 'unavailable'] as const;
    answer = (n) => (n <= states.length ? { state: states[n - 1] } : { state: 'draining', reason: 'Target.DeregistrationInProgress' });
    const drained = new Promise<void>((resolve) => start(vi.fn(() => resolve())));
    await drained;
    expect(calls).toBe(states.length + 1);
    // Polling stops with the drain: no call comes in five more intervals.
    const more = nextCalls(elb, 1).then(() => 'called');
    expect(await Promise.race([more, new Promise((r) => setTimeout(() => r('quiet'), 5 * INTERVAL_MS * 1.1))])).toBe('quiet');
  });

  it('never drains on failures (errors, throttling, a hung call, a malformed answer, denied access), and drains after', async () => {
    const failures: TargetHealthAnswer[] = [
      { error: { status: 500, code: 'HealthUnavailable', message: 'The health of the specified targets could not be retrieved' } },
      { error: { status: 400, code: 'ThrottlingException', message: 'Rate exceeded' } },
      'hang',
      { raw: { status: 200, body: '<DescribeTargetHealthResponse><not-xml' } },
      { raw: { status: 502, body: 'Bad Gateway' } },
      { error: { status: 400, code: 'TargetGroupNotFound', message: 'One or more target groups not found' } },
      { error: { status: 403, code: 'AccessDenied', message: 'not authorized to perform: elasticloadbalancing:DescribeTargetHealth' } },
    ];
    answer = (n) => failures[n - 1] ?? { state: 'draining', reason: 'Target.DeregistrationInProgress' };
    const onDraining = vi.fn();
    const { logs } = start(onDraining);
    const seen = await nextCalls(elb, failures.length);
    expect(onDraining).not.toHaveBeenCalled();
    expect(seen).toHaveLength(failures.length);
    await vi.waitFor(() => expect(onDraining).toHaveBeenCalledTimes(1), { timeout: 15_000 });
    // One warning for the whole outage, one line when it ends.
    expect(logs.messages('warn')).toEqual([expect.stringMatching(/^DescribeTargetHealth failed; the node keeps serving/)]);
    expect(logs.lines.find((l) => l.msg === 'DescribeTargetHealth recovered')).toMatchObject({ failures: failures.length });
  });

  it('an answer about another target is not a drain', async () => {
    const other = healthXml([{ target: { id: '10.0.9.9', port: PORT }, health: { state: 'draining' } }]);
    answer = (n) => (n <= 2 ? { raw: { status: 200, body: other } } : { state: 'draining' });
    const onDraining = vi.fn();
    start(onDraining);
    await nextCalls(elb, 2);
    expect(onDraining).not.toHaveBeenCalled();
    await vi.waitFor(() => expect(onDraining).toHaveBeenCalledTimes(1), { timeout: 5_000 });
  });

  it('backs off when throttled: 2, 4 … intervals between polls, then the normal interval again', async () => {
    answer = (n) => (n <= 3 ? { error: { status: 400, code: 'Throttling', message: 'Rate exceeded' } } : { state: 'healthy' });
    start();
    const seen = await nextCalls(elb, 5);
    const gaps = seen.slice(1).map((s, i) => s.at - seen[i].at);
    // Lower bounds only (jitter is ±10 %): a loaded machine makes every gap longer, never shorter.
    for (const throttled of [1, 2, 3])
      expect(gaps[throttled - 1]).toBeGreaterThanOrEqual(drainPollWaitIntervals(throttled) * INTERVAL_MS * 0.9);
    expect(gaps[3]).toBeLessThan(gaps[2]);
  });

  it('keeps polling while the task metadata endpoint does not answer, and asks once it does', async () => {
    const onDraining = vi.fn();
    let metadataUp = false;
    const metadata = (await import('node:http')).createServer((_req, res) => {
      if (!metadataUp) return void res.writeHead(503).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ Networks: [{ IPv4Addresses: ['10.0.2.106'] }] }));
    });
    metadata.listen(0, '127.0.0.1');
    await once(metadata, 'listening');
    try {
      const { logs } = start(onDraining, { metadataUri: `http://127.0.0.1:${(metadata.address() as { port: number }).port}/v4/x` });
      await vi.waitFor(() => expect(logs.messages('warn')).toHaveLength(1), { timeout: 5_000 });
      expect(elb.calls).toHaveLength(0);
      metadataUp = true;
      const [{ call }] = await nextCalls(elb, 1);
      expect(call.targets).toEqual([{ id: '10.0.2.106', port: PORT }]);
      expect(onDraining).not.toHaveBeenCalled();
    } finally {
      metadata.close();
    }
  });
});
