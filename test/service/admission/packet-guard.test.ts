import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ServiceNode, startServiceNode } from '../../../local/service-node';
import { closedWithin, closeRawSockets, httpRequest, JWT_ENV, openRaw, percentiles, type RawSocket, signToken } from '../../helpers/abuse';
import { closeAllClients, getJson, joinRoom, openClient, unique, waitFor } from '../../helpers/clients';

const BIG = 'x'.repeat(60_000);

/** Sends `frame` as fast as the socket drains, until the server closes it or the bounds; how far it got. */
async function flood(raw: RawSocket, frame: string | (() => string), maxFrames: number, maxMs: number) {
  const started = Date.now();
  while (raw.isOpen() && raw.sent < maxFrames && Date.now() - started < maxMs) {
    raw.send(typeof frame === 'string' ? frame : frame());
    // Lets the socket drain and the close arrive; bounded by the loop's own limits.
    if (raw.ws.bufferedAmount > 1_000_000 || raw.sent % 20 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  const outcome = (await closedWithin(raw, 5_000)) ? 'closed' : 'still open';
  return { outcome, framesSent: raw.sent, ms: Date.now() - started };
}

describe('a budget for every packet: floods of ACKs, pongs, namespaces and noise are disconnected', () => {
  let node: ServiceNode;
  beforeAll(async () => {
    node = await startServiceNode({ env: { REDIS_URL: '', ...JWT_ENV } });
  });
  afterEach(() => {
    closeRawSockets();
    closeAllClients();
  });
  afterAll(async () => node?.stop());

  it('disconnects each flooder while another user chats: their acks stay ok, and /healthz keeps answering', async () => {
    const chatter = await openClient(node.url, { auth: { token: await signToken({ sub: 'chatter' }) } });
    const room = unique('chat');
    await joinRoom(chatter, room);
    const auth = { token: await signToken({ sub: 'flooder' }) };
    const flooders = {
      // ACKs for ids the server never asked for, 60 kB each.
      ack: {
        raw: await openRaw(node.url, { auth }),
        frame: (() => {
          let id = 0;
          return () => `43${++id}["${BIG}"]`;
        })(),
      },
      // Engine.IO pongs nobody pinged for, 60 kB each.
      pong: { raw: await openRaw(node.url, { auth }), frame: `3${BIG}` },
      // CONNECTs to a namespace that does not exist.
      namespace: { raw: await openRaw(node.url, { auth }), frame: '40/nope,' },
      // Engine.IO noops: tiny, harmless one by one, past any budget in bulk.
      noop: { raw: await openRaw(node.url, { auth }), frame: '6' },
    };
    const acks: unknown[] = [];
    const healthMs: number[] = [];
    // Twenty messages over about two seconds, before, during and after the floods.
    const chatting = (async () => {
      for (let i = 0; i < 20; i++) {
        acks.push(await chatter.request('chat:message', { room, text: `while flooding ${i}` }));
        const t = performance.now();
        await httpRequest(`${node.url}/healthz`);
        healthMs.push(performance.now() - t);
        // Pacing of the chat, not a wait for anything: ten messages a second, under the rate limit.
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    const results = Object.fromEntries(
      await Promise.all(
        Object.entries(flooders).map(async ([kind, f]) => [kind, await flood(f.raw, f.frame, kind === 'noop' ? 20_000 : 2_000, 8_000)]),
      ),
    );
    await chatting;
    console.log(`packet floods: ${JSON.stringify({ results, chatAcks: acks.length, healthzMs: percentiles(healthMs) })}`);
    for (const [kind, r] of Object.entries(results))
      expect({ kind, outcome: (r as { outcome: string }).outcome }).toEqual({ kind, outcome: 'closed' });
    // Each flooder had a socket: it was told why (sys:disconnect) before the close.
    const expected = { ack: 'unexpected_ack', pong: 'packet_budget', namespace: 'unknown_namespace', noop: 'packet_budget' };
    for (const [kind, f] of Object.entries(flooders))
      expect({ kind, told: f.raw.frames.filter((x) => x.startsWith('42["sys:disconnect"')) }).toEqual({
        kind,
        told: [`42["sys:disconnect",{"reason":"${expected[kind as keyof typeof expected]}"}]`],
      });
    expect(acks).toHaveLength(20);
    expect(acks.filter((a) => !(a as { ok: boolean }).ok)).toEqual([]);
    expect(chatter.socket.connected).toBe(true);
    await expect
      .poll(() => node.logs.filter((l) => l.msg === 'connection closed by the guard').map((l) => l.reason))
      .toEqual(expect.arrayContaining(['unexpected_ack', 'packet_budget', 'unknown_namespace']));
  }, 60_000);

  it('answers a CONNECT to an unknown namespace as Socket.IO does, and closes the connection at the second', async () => {
    const token = await signToken({ sub: 'explorer' });
    const raw = await openRaw(node.url, { auth: { token } });
    raw.send('40/nope,');
    expect(await raw.next((f) => f.startsWith('44/nope,'), 5_000)).toBe('44/nope,{"message":"Invalid namespace"}');
    // Still open, and its socket on / still answered.
    raw.send('42["room:join",{"room":"still-here"}]');
    raw.send('421["room:members",{"room":"still-here"}]');
    expect(await raw.next((f) => f.startsWith('431'), 5_000)).toBe('431[{"ok":true,"room":"still-here","count":1}]');
    raw.send('40/nope,');
    expect(await raw.next((f) => f.startsWith('42["sys:disconnect"'), 5_000)).toBe('42["sys:disconnect",{"reason":"unknown_namespace"}]');
    expect(await closedWithin(raw, 5_000)).toBe(true);
    expect(raw.frames.filter((f) => f.startsWith('44/nope,'))).toHaveLength(1);
  });

  it('keeps one socket per connection: a second CONNECT to / while the first is pending or open closes the connection', async () => {
    const token = await signToken({ sub: 'racer' });
    const listener = await openClient(node.url, { auth: { token: await signToken({ sub: 'listener' }) } });
    // Both CONNECTs leave in one write, before the server has verified the first token.
    const racing = await openRaw(node.url, { auth: false });
    racing.send(`40${JSON.stringify({ token })}`);
    racing.send(`40${JSON.stringify({ token })}`);
    // Both answered (the old behaviour), or the connection closed.
    await racing.next((f) => racing.frames.filter((x) => x.startsWith('40{')).length === 2 && f.startsWith('40{'), 5_000);
    // A broadcast to everyone: once the sender has its own copy, every socket on this node has been written to.
    await listener.request('chat:message', { text: 'to everyone, once' });
    await listener.nextMessage((m) => m.text === 'to everyone, once');
    const closed = await closedWithin(racing, 3_000);
    const connects = racing.frames.filter((f) => f.startsWith('40{')).length;
    const copies = racing.frames.filter((f) => f.includes('to everyone, once')).length;
    console.log(`racing CONNECTs: ${JSON.stringify({ closed, connects, copies, frames: racing.frames.map((f) => f.slice(0, 30)) })}`);
    expect(connects).toBeLessThanOrEqual(1);
    expect(copies).toBeLessThanOrEqual(1);
    expect(closed).toBe(true);

    // Socket.IO's parser reads a leading space as a CONNECT: so does the guard.
    const spaced = await openRaw(node.url, { auth: false });
    spaced.send(`40${JSON.stringify({ token })}`);
    spaced.send(`4 ${JSON.stringify({ token })}`);
    // The first may be answered before the second arrives (a loaded machine reads them apart): then the second closes an open socket.
    expect(await closedWithin(spaced, 5_000)).toBe(true);
    expect(spaced.frames.filter((f) => f.startsWith('40{')).length).toBeLessThanOrEqual(1);

    // After the first is answered, a second one ends the connection too.
    const open = await openRaw(node.url, { auth: { token } });
    open.send(`40${JSON.stringify({ token })}`);
    expect(await open.next((f) => f.startsWith('40{') && f !== open.frames.find((x) => x.startsWith('40{')), 3_000)).toBe('closed');

    // Leaving the namespace and connecting again is one socket at a time, so it is allowed.
    const again = await openRaw(node.url, { auth: { token } });
    const connections = async () => (await getJson(`${node.url}/healthz`)).body.connections as number;
    const before = await connections();
    again.send('41');
    // The server does not answer a DISCONNECT; its socket count shows when it has taken it.
    await waitFor(connections, (n) => n === before - 1);
    again.send(`40${JSON.stringify({ token })}`);
    await expect.poll(() => again.frames.filter((f) => f.startsWith('40{')).length).toBe(2);
    expect(again.isOpen()).toBe(true);
  });
});
