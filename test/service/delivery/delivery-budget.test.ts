import { io as connect, type Socket as ClientSocket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../../service/src/app';
import type { AppModule } from '../../../service/src/app-module';
import { shedding } from '../../../service/src/admission/event-limits';
import { LagMonitor } from '../../../service/src/admission/overload';
import { apiKeySender, DeliveryBudgets, userSender } from '../../../service/src/delivery/delivery-budget';
import { JWT_ENV, signToken } from '../../helpers/abuse';
import { startInProcessApp } from '../../helpers/in-process-app';

describe('DeliveryBudgets', () => {
  const budgets = (now: () => number) =>
    new DeliveryBudgets({ user: { ratePerS: 100, burst: 200 }, apiKey: { ratePerS: 1_000, burst: 5_000 } }, now);

  it('charges deliveries to a sender, puts it in debt past its burst, and earns the debt back at its rate', () => {
    let t = 0;
    const b = budgets(() => t);
    const alice = userSender('alice');
    expect(b.debt(alice)).toBe(0);
    b.ledger(alice).tokens -= 150;
    expect(b.debt(alice)).toBe(0);
    expect(b.spentShare(alice)).toBe(0.75);
    b.ledger(alice).tokens -= 100;
    expect(b.debt(alice)).toBe(50);
    expect(b.secondsToRepay(alice, 50)).toBe(1);
    t = 400; // 40 earned back
    expect(b.debt(alice)).toBe(10);
    t = 500;
    expect(b.debt(alice)).toBe(0);
    // Never past the burst, however long it was idle.
    t = 100_000;
    expect(b.spentShare(alice)).toBe(0);
  });

  it('gives users and API keys their own budgets, and each sender its own ledger', () => {
    const t = 0;
    const b = budgets(() => t);
    b.ledger(apiKeySender(0)).tokens -= 4_000;
    b.ledger(userSender('k0')).tokens -= 4_000;
    expect(b.debt(apiKeySender(0))).toBe(0);
    expect(b.debt(userSender('k0'))).toBe(3_800);
    expect(b.secondsToRepay(userSender('k0'), 3_800)).toBe(38);
    expect(b.debt(apiKeySender(1))).toBe(0);
  });

  it('forgets the ledgers that are full again, so that the map stays bounded', () => {
    let t = 0;
    const b = budgets(() => t);
    for (let i = 0; i < 1_000; i++) b.ledger(userSender(`u${i}`)).tokens -= 100;
    b.ledger(userSender('heavy')).tokens -= 10_000;
    expect(b.size).toBe(1_001);
    t = 1_000;
    b.sweep();
    expect(b.size).toBe(1);
    expect(b.debt(userSender('heavy'))).toBe(9_700);
  });
});

describe('shedding', () => {
  it('refuses nobody below the threshold, the heaviest senders first above it, everyone from twice the threshold', () => {
    expect(shedding(0.9, 5)).toBe(false);
    // Just above the threshold: only a sender that has spent its whole burst (in debt, or about to be).
    expect(shedding(1.05, 1.2)).toBe(true);
    expect(shedding(1.05, 0.5)).toBe(false);
    // Half way: whoever has spent half of it.
    expect(shedding(1.5, 0.5)).toBe(true);
    expect(shedding(1.5, 0.01)).toBe(false);
    // Twice the threshold: everyone, a sender that has spent nothing too (as before this budget).
    expect(shedding(2, 0)).toBe(true);
  });

  it("reads the lag monitor's pressure in thresholds", () => {
    let t = 0;
    const m = new LagMonitor(100, 50, () => t);
    m.start();
    try {
      t = 150; // the tick due at 50 is 100 ms overdue: one threshold
      expect(m.pressure()).toBe(1);
      expect(m.overloaded()).toBe(false);
      t = 250;
      expect(m.pressure()).toBe(2);
      expect(m.overloaded()).toBe(true);
    } finally {
      m.stop();
    }
    expect(new LagMonitor(0).pressure()).toBe(0);
  });
});

/** An app that broadcasts the way apps do: at once, after awaits that need no I/O (the chat acks first), and from a timer. */
const BROADCASTER: AppModule = {
  file: 'broadcaster',
  app: (io) => {
    io.on('connection', (socket) => {
      socket.on('now', (ack: (r: unknown) => void) => {
        io.emit('note', 'now');
        ack({ ok: true });
      });
      socket.on('after-await', async (ack: (r: unknown) => void) => {
        await Promise.resolve();
        ack({ ok: true });
        await null;
        socket.broadcast.emit('note', 'after-await');
      });
      socket.on('from-timer', (ack: (r: unknown) => void) => {
        setTimeout(() => io.emit('note', 'from-timer'), 0);
        ack({ ok: true });
      });
    });
  },
};

describe('what an event handler broadcasts is charged to its user', () => {
  const BURST = 25;
  const AUDIENCE = 10;
  let app: App;
  let url: string;
  const clients: ClientSocket[] = [];
  const open = async (sub: string) => {
    const c = connect(url, { transports: ['websocket'], forceNew: true, auth: { token: await signToken({ sub }) } });
    clients.push(c);
    await new Promise<void>((resolve) => c.once('sys:session', () => resolve()));
    return c;
  };
  const request = (c: ClientSocket, event: string) =>
    c.timeout(5_000).emitWithAck(event) as Promise<{ ok: boolean; error?: { code: string; message: string } }>;

  beforeAll(async () => {
    ({ app, url } = await startInProcessApp(
      { ...JWT_ENV, USER_DELIVERIES_PER_S: '1', USER_DELIVERIES_BURST: String(BURST), SHED_LOAD_LAG_MS: '0' },
      'budget',
      BROADCASTER,
    ));
    for (let i = 0; i < AUDIENCE; i++) await open('audience');
  });
  afterAll(async () => {
    for (const c of clients) c.disconnect();
    await app?.close();
  });

  it('charges a broadcast made at once and one made after awaits, and refuses the user once it is in debt', async () => {
    const sender = await open('sender');
    const notes: unknown[] = [];
    clients[0].on('note', (n) => notes.push(n));
    // 11 deliveries (the audience and the sender itself), then 10 (everyone but the sender): 4 left of 25.
    expect(await request(sender, 'now')).toEqual({ ok: true });
    expect(await request(sender, 'after-await')).toEqual({ ok: true });
    await expect.poll(() => notes.length).toBe(2);
    // 11 more: 7 past the burst.
    expect(await request(sender, 'now')).toEqual({ ok: true });
    const refused = await request(sender, 'now');
    expect(refused).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
    expect(refused.error!.message).toMatch(/USER_DELIVERIES_PER_S \(1\/s, burst 25\) allows on this node: retry in 7 s/);
    expect(app.metrics.snapshot()).toMatchObject({ eventsRateLimited: 1 });
    // Another user is not charged for it.
    expect(await request(await open('bystander'), 'now')).toEqual({ ok: true });
  });

  it('charges no one for a broadcast made later, from a timer: not the user whose event was handled last', async () => {
    const timed = await open('timed');
    const before = app.metrics.snapshot().messagesDelivered;
    for (let i = 0; i < 5; i++) expect(await request(timed, 'from-timer')).toEqual({ ok: true });
    await expect.poll(() => app.metrics.snapshot().messagesDelivered - before).toBeGreaterThanOrEqual(5 * AUDIENCE);
    // 5 × 13 deliveries, more than the burst, and the user is still within it.
    expect(await request(timed, 'now')).toEqual({ ok: true });
  });
});
