/**
 * The backend API's per-key delivery budget (issue 22, point 3): one publish is written to every socket it reaches, so a
 * key's cost is its publishes times their audience. Past API_DELIVERIES_PER_KEY_* on a node the key's publishes are
 * refused there (429 `delivery_budget_exceeded`), and a node where the key is over its budget does not write them, whichever
 * node took them. Three nodes behind HAProxy in each adapter mode, with the budget scaled down.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ADAPTER_MODES } from '../../../contract/env';
import {
  apiCall,
  type ApiCluster,
  closeUserSockets,
  KEY_B,
  openUserSocket,
  startApiCluster,
  tagged,
  unique,
  type UserSocket,
  withId,
} from './helpers';

/** Deliveries one key's publishes may cause on a node per second, and the burst. */
const PER_S = 10;
const BURST = 40;
/** The sockets of the user the publishes go to: each publish costs this many deliveries on their node. */
const AUDIENCE = 20;

describe.each(ADAPTER_MODES)('the API delivery budget: %s, 3 nodes behind HAProxy', (mode) => {
  let c: ApiCluster;
  beforeAll(async () => {
    c = await startApiCluster(mode, { API_DELIVERIES_PER_KEY_PER_S: String(PER_S), API_DELIVERIES_PER_KEY_BURST: String(BURST) });
  });
  afterEach(() => closeUserSockets());
  afterAll(async () => c?.stop());

  /** AUDIENCE sockets of one new user, all on `node`. */
  const audienceOn = async (node: number): Promise<UserSocket[]> => {
    const user = unique('fan');
    return Promise.all(Array.from({ length: AUDIENCE }, () => openUserSocket(c.cluster.nodes[node].url, user)));
  };

  it('refuses a key 429 delivery_budget_exceeded once its publishes reached more sockets on the node than it allows', async () => {
    const fans = await audienceOn(0);
    const node = c.cluster.nodes[0].url;
    const users = [fans[0].user];
    // 20 + 20 take the burst; the third is still let through (the budget is not in debt yet) and puts it 20 past it.
    for (let i = 0; i < 3; i++) {
      const { body, tag } = tagged({ event: 'test:fan', users });
      const answer = await apiCall(node, 'POST', '/api/v1/publish', { body });
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      // Written (in streams and sharded modes a moment after the answer): charged before the next publish is asked.
      await Promise.all(fans.map((f) => f.next('test:fan', withId(tag))));
    }
    const refused = await apiCall(node, 'POST', '/api/v1/publish', { body: tagged({ event: 'test:fan', users }).body });
    console.log(`${mode}: the 4th publish to ${AUDIENCE} sockets: ${refused.status} ${JSON.stringify(refused.body)}`);
    expect(refused).toMatchObject({ status: 429, body: { ok: false, error: { code: 'delivery_budget_exceeded' } } });
    expect(refused.body.error!.message).toMatch(/API_DELIVERIES_PER_KEY_PER_S \(10\/s, burst 40\) allows on this node: retry after \d+ s/);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // The other key has a budget of its own.
    expect(await apiCall(node, 'POST', '/api/v1/publish', { key: KEY_B, body: tagged({ event: 'test:fan', users }).body })).toMatchObject({
      status: 200,
    });
  });

  it('does not write a key’s publishes on a node where it is over its budget, whichever node took them', async () => {
    // Every socket of the user is on node-2; the publishes go to node-3 (the key is in debt on node-1, from the test
    // before), which writes none of them itself.
    const fans = await audienceOn(1);
    const via = c.cluster.nodes[2].url;
    const users = [fans[0].user];
    const started = performance.now();
    const tags: string[] = [];
    for (let i = 0; i < 8; i++) {
      const { body, tag } = tagged({ event: 'test:far', users });
      expect((await apiCall(via, 'POST', '/api/v1/publish', { body })).status).toBe(200);
      tags.push(tag);
    }
    // The other key's publish follows them on the same channel (stream, shard): once it is there, node-2 has seen them all.
    const { body, tag: barrier } = tagged({ event: 'test:barrier', users });
    expect((await apiCall(via, 'POST', '/api/v1/publish', { key: KEY_B, body })).status).toBe(200);
    await Promise.all(fans.map((f) => f.next('test:barrier', withId(barrier))));
    const elapsedS = (performance.now() - started) / 1000;
    const written = fans.map((f) => tags.filter((t) => f.count('test:far', withId(t)) === 1).length);
    console.log(`${mode}: 8 publishes to ${AUDIENCE} sockets on node-2 through node-3 in ${elapsedS.toFixed(2)} s: written ${written}`);
    // At most the burst and what the time earned, plus the one publish that went past it, on every socket alike.
    const most = Math.ceil((BURST + PER_S * elapsedS) / AUDIENCE) + 1;
    for (const n of written) expect(n).toBeLessThanOrEqual(most);
    expect(new Set(written).size).toBe(1);
    expect(written[0]).toBeGreaterThanOrEqual(2);
  });
});
