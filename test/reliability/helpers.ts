import { connect } from 'node:net';
import { createClient } from 'redis';
import { expect } from 'vitest';
import { send, type TestClient, unique } from '../helpers/clients';

export interface RedisAdmin {
  /** Sends one command; rejects if the server is unreachable. */
  command(...args: string[]): Promise<unknown>;
  close(): Promise<void>;
}

/** A plain client for the test's own Redis commands (REPLICAOF, DEBUG, INFO …), never reconnecting. */
export async function redisAdmin(port: number): Promise<RedisAdmin> {
  const client = createClient({ url: `redis://127.0.0.1:${port}`, socket: { reconnectStrategy: false, connectTimeout: 2_000 } });
  // An 'error' without a listener would kill the test worker when the server goes away.
  client.on('error', () => undefined);
  await client.connect();
  return {
    command: (...args) => client.sendCommand(args),
    async close() {
      if (client.isOpen) client.destroy();
    },
  };
}

/** `role:master` or `role:slave` from INFO replication, plus whether the link to a primary is up. */
export async function replication(admin: RedisAdmin): Promise<{ role: string; linkUp: boolean }> {
  const info = String(await admin.command('INFO', 'replication'));
  return { role: /role:(\w+)/.exec(info)?.[1] ?? 'unknown', linkUp: info.includes('master_link_status:up') };
}

/** Every client sends once to `room`; every client must receive every message. */
export async function expectAllToAll(clients: TestClient[], room: string, tag: string, timeoutMs = 10_000): Promise<void> {
  for (const sender of clients) {
    const text = `${tag} from ${sender.session.node}/${sender.session.sid}`;
    await send(sender, text, room);
    await Promise.all(clients.map((r) => r.nextMessage((m) => m.text === text, timeoutMs)));
  }
}

/**
 * Sends acked probes from `sender` to `room` until one has reached every receiver, and
 * returns the milliseconds from `since` to that moment. Bounded in time and in count.
 */
export async function timeToDelivery(
  sender: TestClient,
  receivers: TestClient[],
  room: string,
  opts: { since: number; boundMs: number; intervalMs?: number },
): Promise<number> {
  const prefix = unique('probe');
  const arrived = (r: TestClient) => r.messages.some((m) => m.text.startsWith(`${prefix}:`));
  const deadline = opts.since + opts.boundMs;
  const wait = opts.intervalMs ?? 200;
  for (let i = 0; i < 10_000 && Date.now() < deadline; i++) {
    const ack = await sender.request('chat:message', { room, text: `${prefix}:${i}` });
    // A publish that fails while Redis is away still gets an ok ack: the message reached the local members.
    expect(ack).toMatchObject({ ok: true });
    // Earlier probes may land late; any of them counts.
    await Promise.all(receivers.map((r) => r.nextMessage((m) => m.text.startsWith(`${prefix}:`), wait))).catch(() => undefined);
    if (receivers.every(arrived)) return Date.now() - opts.since;
  }
  throw new Error(`no cross-node delivery within ${opts.boundMs} ms of the switch`);
}

/** Resident set size of a Linux process in kB, from /proc. */
export { rssKb } from '../../tools/processes';

/**
 * True when Redis on `port` does not answer a PING on a fresh connection within `ms`: it is
 * busy (single-threaded), e.g. inside DEBUG SLEEP. Unlike a fixed delay, this observes the stall.
 */
export function unresponsive(port: number, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host: '127.0.0.1', port });
    const done = (stalled: boolean) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(stalled);
    };
    const timer = setTimeout(() => done(true), ms);
    sock.on('connect', () => sock.write('PING\r\n'));
    sock.on('data', (d) => d.toString().includes('PONG') && done(false));
    sock.on('error', () => done(false));
  });
}
