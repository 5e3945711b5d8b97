import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../service/src/app';
import { LagMonitor } from '../../service/src/admission/overload';
import { UNTHROTTLED_ENV } from '../../local/service-node';
import { closeAllClients, openClient } from '../helpers/clients';
import { startInProcessApp } from '../helpers/in-process-app';

describe('LagMonitor', () => {
  it('counts as overloaded only while the smoothed timer drift is above the threshold', () => {
    let t = 0;
    const m = new LagMonitor(100, 50, () => t);
    m.start();
    m.stop();
    const tickAt = (at: number) => {
      t = at;
      m.tick();
    };
    tickAt(50);
    tickAt(100);
    expect(m.overloaded()).toBe(false);
    // One tick 400 ms late: smoothed 200 ms.
    tickAt(550);
    expect(m.lagMs).toBe(200);
    expect(m.overloaded()).toBe(true);
    // On time again: 100, then 50.
    tickAt(600);
    expect(m.overloaded()).toBe(false);
    expect(m.lagMs).toBe(100);
  });

  it('counts as overloaded while the next tick is overdue by more than the threshold, before that tick fires', () => {
    let t = 0;
    const m = new LagMonitor(100, 50, () => t);
    m.start();
    try {
      // The tick is due at 50: at 120 it is 70 ms late, at 200 150 ms late, and no tick has run (a loop busy with one batch).
      t = 120;
      expect(m.overloaded()).toBe(false);
      t = 200;
      expect(m.overloaded()).toBe(true);
      expect(m.lagMs).toBe(0);
    } finally {
      m.stop();
    }
  });

  it('never reports overload with a threshold of 0', () => {
    let t = 0;
    const m = new LagMonitor(0, 50, () => t);
    t = 10_000;
    m.tick();
    expect(m.overloaded()).toBe(false);
  });
});

describe('load shedding in a running node', () => {
  let app: App;
  let url: string;
  beforeAll(async () => {
    ({ app, url } = await startInProcessApp({ SHED_LOAD_LAG_MS: '150' }, 'shed'));
  });
  afterAll(async () => {
    closeAllClients();
    await app?.close();
  });

  it('refuses events with overloaded while the event loop runs late, and accepts them once it catches up', async () => {
    const [client, joiner, drawer] = await Promise.all([openClient(url), openClient(url), openClient(url)]);
    expect(await client.request('chat:message', { text: 'before' })).toMatchObject({ ok: true });
    // The events are on the wire before the stall (one per client: a client writes a second one only after its first
    // write drained); the node reads them only after its lag timer fired late. Every event is shed, not only chat
    // messages: a room:join, and an event the app has no handler for.
    const during = [
      client.request('chat:message', { text: 'during' }),
      joiner.request('room:join', { room: 'shed' }),
      drawer.request('canvas:stroke', { x: 1 }),
    ];
    const until = performance.now() + 1_000;
    while (performance.now() < until) {
      // A stalled event loop, as a CPU-bound node has.
    }
    expect(await Promise.all(during)).toEqual(Array(3).fill({ ok: false, error: { code: 'overloaded', message: expect.any(String) } }));
    // Shed, and counted as shed: not as accepted, and the operator sees it (MessagesShed).
    expect(app.metrics.snapshot()).toMatchObject({ messagesShed: 3, messagesIn: 1 });
    await expect.poll(() => client.request('chat:message', { text: 'after' }), { timeout: 5_000 }).toMatchObject({ ok: true });
    expect(client.messages.map((m) => m.text)).not.toContain('during');
  });
});

/** The slow-consumer bounds at their maximum. */
const NO_SLOW_CONSUMER_DROP = { SLOW_CONSUMER_MAX_PACKETS: '1000000', SLOW_CONSUMER_MAX_BUFFERED_BYTES: '1073741824' };

describe('load shedding under a real overload', () => {
  let app: App;
  let url: string;
  beforeAll(async () => {
    // The limits are raised so that only the lag decides; 50 ms so that the test's burst is well past it on any machine.
    // The members read in this same process, behind the node's own work: on a loaded machine more than 250 packets waited
    // for one of them, and the slow-consumer sweep dropped it mid-burst (`socket has been disconnected`).
    ({ app, url } = await startInProcessApp({ ...UNTHROTTLED_ENV, ...NO_SLOW_CONSUMER_DROP, SHED_LOAD_LAG_MS: '50' }, 'flood'));
  });
  afterAll(async () => {
    closeAllClients();
    await app?.close();
  });

  it(
    'sheds part of a burst that one node cannot fan out in time, answers each shed message, and counts it',
    { timeout: 60_000 },
    async () => {
      const room = 'flood';
      const members = await Promise.all(Array.from({ length: 40 }, () => openClient(url)));
      // On a loaded machine the node may be past its 50 ms already while the members connect: a join it sheds is asked again.
      const joined = (m: (typeof members)[number]) => expect.poll(() => m.request('room:join', { room }), { timeout: 30_000 });
      await Promise.all(members.map((m) => joined(m).toEqual({ ok: true, room })));
      const [sender] = members;
      // Every event the app gets counts as one in (MessagesIn), the members' room:join too: the burst's are counted from here.
      const before = app.metrics.snapshot();
      // 1 500 messages at once, each to 40 sockets: more work than the node does before its lag timer is overdue.
      const acks = await Promise.all(
        Array.from({ length: 1_500 }, (_, i) => sender.request<{ id: string }>('chat:message', { room, text: `m${i}` })),
      );
      const shed = acks.filter((a) => !a.ok && a.error.code === 'overloaded').length;
      const accepted = acks.filter((a) => a.ok).length;
      expect(shed).toBeGreaterThan(0);
      expect(shed + accepted).toBe(acks.length);
      expect(app.metrics.snapshot()).toMatchObject({ messagesShed: before.messagesShed + shed, messagesIn: before.messagesIn + accepted });
      // What was shed is never delivered; what was accepted is, to every member.
      const texts = new Set(acks.flatMap((a, i) => (a.ok ? [`m${i}`] : [])));
      await expect
        .poll(() => members.every((m) => m.messages.filter((x) => texts.has(x.text)).length === accepted), { timeout: 30_000 })
        .toBe(true);
      expect(members.every((m) => m.messages.length === accepted)).toBe(true);
    },
  );
});
