import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STAGES } from '../../contract/stack';
import { resolveConfig } from '../../infra/config';
import { type ServiceNode, startServiceNode } from '../../local/service-node';
import { PROD } from '../infra/helpers';

/** The ALB's default idle timeout, and the one every stage of the stack sets. */
const ALB_IDLE_TIMEOUTS_S = [60, ...STAGES.map((stage) => resolveConfig(stage === 'prod' ? PROD : { stage }).albIdleTimeoutSeconds)];

function get(url: string, agent: http.Agent): Promise<{ status: number; keepAlive?: string; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent }, (res) => {
      res.resume();
      res.on('end', () =>
        resolve({ status: res.statusCode!, keepAlive: String(res.headers['keep-alive'] ?? ''), reused: req.reusedSocket }),
      );
    });
    req.on('error', reject);
  });
}

describe('keep-alive, as the ALB needs it', () => {
  let node: ServiceNode;
  beforeAll(async () => {
    node = await startServiceNode({});
  });
  afterAll(async () => node?.stop());

  it('advertises a Keep-Alive timeout above the ALB idle timeout, and keeps an idle connection past Node’s old 5 s', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await get(`${node.url}/healthz`, agent);
      expect(first.status).toBe(200);
      const advertisedS = Number(/timeout=(\d+)/.exec(first.keepAlive ?? '')?.[1]);
      expect(advertisedS).toBeGreaterThan(Math.max(...ALB_IDLE_TIMEOUTS_S));
      // Nothing announces that a connection stays open: it is left idle for longer than the old timeout (5 s, ~6 s measured).
      await new Promise((resolve) => setTimeout(resolve, 7_000));
      const second = await get(`${node.url}/healthz`, agent);
      expect(second).toMatchObject({ status: 200, reused: true });
    } finally {
      agent.destroy();
    }
  });
});
