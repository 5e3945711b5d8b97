import WebSocket from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { rssKb } from '../../tools/processes';
import { type ServiceNode, startServiceNode, UNTHROTTLED_ENV } from '../../local/service-node';
import { closeAllClients, openClient } from '../helpers/clients';

/** A raw Engine.IO/Socket.IO client that joins the default namespace and then stops reading. */
async function stalledClient(url: string): Promise<{ ws: WebSocket; sid: string }> {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`);
  const sid = await new Promise<string>((resolve, reject) => {
    ws.on('message', (data) => {
      const frame = data.toString();
      if (frame.startsWith('40')) resolve((JSON.parse(frame.slice(2)) as { sid: string }).sid);
      else if (frame.startsWith('0')) ws.send('40');
    });
    ws.once('error', reject);
  });
  // Stop reading from the TCP socket: the kernel buffers fill, then the server's own buffers grow.
  (ws as unknown as { _socket: { pause(): void } })._socket.pause();
  return { ws, sid };
}

describe('slow consumers', () => {
  let node: ServiceNode;
  beforeAll(async () => {
    node = await startServiceNode({
      env: {
        REDIS_URL: '',
        MAX_TEXT_BYTES: '16384',
        ...UNTHROTTLED_ENV,
        SLOW_CONSUMER_MAX_BUFFERED_BYTES: '262144',
        SLOW_CONSUMER_MAX_PACKETS: '100',
      },
    });
  });
  afterEach(() => closeAllClients());
  afterAll(async () => node?.stop());

  it('drops a client that stops reading instead of buffering for it forever, and keeps serving the others', async () => {
    const { ws: stalled, sid } = await stalledClient(node.url);
    const sender = await openClient(node.url);
    const reader = await openClient(node.url);
    const text = 'x'.repeat(16_000);
    const dropped = () => node.logs.some((l) => l.msg === 'dropping a slow consumer');
    // Bounded: 2,000 messages of 16 kB is far past any loopback socket buffer.
    let sent = 0;
    while (!dropped() && sent < 2_000) {
      const batch = Array.from({ length: 50 }, () => sender.request('chat:message', { text }));
      for (const ack of await Promise.all(batch)) expect(ack.ok).toBe(true);
      sent += 50;
    }
    await expect.poll(dropped, { timeout: 10_000 }).toBe(true);
    // Only the stalled client, and for passing one of the two bounds.
    const drops = node.logs.filter((l) => l.msg === 'dropping a slow consumer');
    expect(drops.map((d) => d.sid)).toEqual([sid]);
    expect((drops[0].packets as number) > 100 || (drops[0].bufferedBytes as number) > 262_144).toBe(true);

    // Reading again, the stalled client finds its connection gone.
    const closed = new Promise((resolve) => stalled.once('close', resolve));
    (stalled as unknown as { _socket: { resume(): void } })._socket.resume();
    await closed;

    const ack = await sender.request<{ id: string }>('chat:message', { text: 'after the drop' });
    expect(ack.ok).toBe(true);
    await reader.nextMessage((m) => m.text === 'after the drop');
    expect(reader.messages.length).toBe(sent + 1);
    expect(node.child.exitCode).toBeNull();
    expect(rssKb(node.child.pid!) / 1024).toBeLessThan(400);
  });
});
