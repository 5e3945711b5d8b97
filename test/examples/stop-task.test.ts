import { describe, expect, it } from 'vitest';
import type { SessionInfo } from '../../contract/app';
import { densestWindow, movedTimes, runStopTask } from '../helpers/stop-task';
import { type AppClient, openAppClient, useExample } from './helpers';

/** The chat users the stopped node holds: no third of them may go in any one second. */
const HELD = 60;

/** A chat user as the example's page is one: it says its name again after every reconnect that did not recover. */
async function chatUser(url: string, username: string): Promise<AppClient> {
  const client = await openAppClient(url);
  const add = () => client.socket.emit('add user', username);
  client.socket.on('connect', () => client.socket.recovered || add());
  add();
  await client.next('login');
  return client;
}

interface Watched {
  readonly client: AppClient;
  /** When the stopped node closed this client's connection. */
  disconnectedAt?: number;
  /** When its first session on another node arrived. */
  movedAt?: number;
}

describe("npm run stop-task on a node running an example (examples/chat): ECS's stop of a task, through HAProxy", () => {
  // A short drain keeps the test bounded; the deregistration delay follows from it (contract/env.ts).
  const example = useExample('chat', { env: { DRAIN_POLL_INTERVAL_MS: '1000', DRAIN_SPREAD_MS: '6000' } });

  const title =
    `moves the ${HELD} users of the stopped node to the other one before the deregistration delay ends, ` +
    'no third of them in one second, and they come back into the chat by themselves';
  it(title, { timeout: 180_000 }, async () => {
    const cluster = example.cluster;
    const target = cluster.nodes[1];
    const delayMs = cluster.deregistrationDelayMs!;

    // New sessions alternate between the two nodes: open until the target holds HELD of them.
    const clients: AppClient[] = [];
    while (clients.filter((c) => c.session.node === target.nodeId).length < HELD) {
      clients.push(...(await Promise.all(Array.from({ length: 20 }, (_, i) => chatUser(cluster.url, `user-${clients.length + i}`)))));
    }
    const held = clients.filter((c) => c.session.node === target.nodeId);
    const watched: Watched[] = held.map((client) => {
      const w: Watched = { client };
      client.socket.once('disconnect', () => (w.disconnectedAt = Date.now()));
      client.socket.on('sys:session', (s: SessionInfo) => {
        if (s.node !== target.nodeId) w.movedAt ??= Date.now();
      });
      return w;
    });
    const logins = new Map(held.map((c) => [c, c.count('login')]));

    const t0 = Date.now();
    const stop = runStopTask(['--port', String(cluster.loadBalancer!.port), '--node', target.nodeId]);
    const { code } = await stop.exit;
    expect(code, [...stop.out, ...stop.err].join('\n')).toBe(0);
    expect(stop.out.join('\n')).toMatch(/DEACTIVATING[\s\S]*STOPPING: SIGTERM[\s\S]*STOPPED/);

    // The last ones closed reconnect a moment after the node has gone.
    await Promise.all(held.map((c) => c.next('sys:session', (s) => (s as SessionInfo).node !== target.nodeId, delayMs + 30_000)));
    // The delay runs from the deregistration (the timeline's DEACTIVATING), not from the command's start (tsx's start-up).
    const deregisteredAt = stop.lineAt(/DEACTIVATING/) ?? t0;
    const report =
      `${held.length} users on ${target.nodeId}, deregistration delay ${delayMs} ms; moved at (ms after the deregistration): ` +
      `${JSON.stringify(movedTimes(watched, deregisteredAt))}\n` +
      stop.out.join('\n');
    const late = watched.filter((w) => w.movedAt === undefined || w.movedAt - deregisteredAt >= delayMs);
    expect.soft(late.length, `users not moved before the deregistration delay ended\n${report}`).toBe(0);
    const disconnects = watched.flatMap((w) => (w.disconnectedAt === undefined ? [] : [w.disconnectedAt]));
    expect(disconnects).toHaveLength(held.length);
    expect.soft(densestWindow(disconnects, 1_000), `most disconnects within one second\n${report}`).toBeLessThanOrEqual(held.length / 3);

    // Back in the chat on the other node: each said its name again (or was recovered with it) and was let in.
    await Promise.all(held.map((c) => c.next('login', () => c.count('login') > logins.get(c)!, 30_000)));
    // The chat counts every user once, on the node left: a newcomer is one more.
    const newcomer = await openAppClient(cluster.url);
    expect(newcomer.session.node).toBe(cluster.nodes[0].nodeId);
    expect(await newcomer.socket.timeout(10_000).emitWithAck('add user', 'newcomer')).toEqual({ ok: true, numUsers: clients.length + 1 });
  });
});
