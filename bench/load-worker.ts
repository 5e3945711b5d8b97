// A load-generating child process: opens connections, sends at a given rate, measures latency.
import { LatencyHistogram } from '../tools/histogram';
import { LiteClient, type Protocol, chatText, parseDelivery } from './lite-client';
import type { ClientSpec, ConnectReply, WindowStats, WorkerCommand, WorkerReply } from './worker-protocol';

const clock = () => performance.timeOrigin + performance.now();
const reply = (r: WorkerReply) => process.send?.(r);

let protocol: Protocol = 'sio';
let clients: Array<{ client: LiteClient; spec: ClientSpec }> = [];
let senders: Array<{ client: LiteClient; spec: ClientSpec }> = [];
let local = new LatencyHistogram();
let cross = new LatencyHistogram();
let delivered = 0;
let acked = 0;
let shed = 0;
let sent = 0;
let lost = 0;
let lastDeliveryAt = 0;
let windowStart = 0;
let sendTimer: NodeJS.Timeout | undefined;

function onChat(frame: string, node: number): void {
  const now = clock();
  lastDeliveryAt = now;
  const parsed = parseDelivery(frame, protocol);
  if (!parsed || windowStart === 0) return;
  delivered++;
  (parsed[1] === node ? local : cross).record(now - parsed[0]);
}

async function connect(specs: ClientSpec[], concurrency: number): Promise<ConnectReply> {
  const started = clock();
  let next = 0;
  let failed = 0;
  let firstError: string | undefined;
  const opened: typeof clients = [];
  const lane = async () => {
    while (next < specs.length) {
      const spec = specs[next++];
      try {
        const client = await LiteClient.open({
          url: spec.url,
          protocol,
          room: spec.room,
          onChat: (frame) => onChat(frame, spec.node),
          onAck: () => acked++,
          onShed: () => shed++,
          onLost: () => lost++,
        });
        opened.push({ client, spec });
      } catch (err) {
        failed++;
        firstError ??= (err as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, lane));
  clients.push(...opened);
  senders = clients.filter((c) => c.spec.sender);
  return { opened: opened.length, failed, firstError, ms: clock() - started };
}

/** Sends at `msgsPerS` in total, round-robin over this worker's senders, in 5 ms ticks. */
function start(msgsPerS: number, textBytes: number): void {
  stopSending();
  local = new LatencyHistogram();
  cross = new LatencyHistogram();
  delivered = acked = shed = sent = lost = 0;
  windowStart = clock();
  if (senders.length === 0 || msgsPerS <= 0) return;
  let turn = 0;
  sendTimer = setInterval(() => {
    const now = clock();
    // A stalled worker catches up by at most 100 ms of load, not with one huge burst.
    const due = Math.min(Math.floor(((now - windowStart) / 1000) * msgsPerS) - sent, Math.ceil(msgsPerS / 10));
    for (let i = 0; i < due; i++) {
      const s = senders[turn++ % senders.length];
      s.client.send(chatText(clock(), s.spec.node, textBytes));
      sent++;
    }
  }, 5);
}

function stopSending(): void {
  if (sendTimer) clearInterval(sendTimer);
  sendTimer = undefined;
}

function stop(): WindowStats {
  stopSending();
  const stats: WindowStats = {
    ms: clock() - windowStart,
    sent,
    acked,
    shed,
    delivered,
    local: local.snapshot(),
    cross: cross.snapshot(),
    lost,
  };
  windowStart = 0;
  return stats;
}

async function drain(quietMs: number, maxMs: number): Promise<void> {
  const deadline = clock() + maxMs;
  while (clock() < deadline && clock() - lastDeliveryAt < quietMs) await new Promise((r) => setTimeout(r, 20));
}

process.on('message', (cmd: WorkerCommand) => {
  const run = async (): Promise<WorkerReply> => {
    switch (cmd.type) {
      case 'connect':
        protocol = cmd.protocol;
        return { id: cmd.id, type: 'connect', result: await connect(cmd.clients, cmd.concurrency) };
      case 'start':
        start(cmd.msgsPerS, cmd.textBytes);
        return { id: cmd.id, type: 'done' };
      case 'stop':
        return { id: cmd.id, type: 'stop', result: stop() };
      case 'drain':
        await drain(cmd.quietMs, cmd.maxMs);
        return { id: cmd.id, type: 'done' };
      case 'close':
        stopSending();
        for (const { client } of clients) client.close();
        clients = [];
        senders = [];
        return { id: cmd.id, type: 'done' };
    }
  };
  run().then(reply, (err: unknown) => reply({ id: cmd.id, type: 'error', message: String((err as Error)?.message ?? err) }));
});
// The parent going away ends the worker, whatever it was doing.
process.on('disconnect', () => process.exit(0));
