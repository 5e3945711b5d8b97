import { io as connect, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import { type LocalCluster, startCluster } from '../../local/cluster';
import type { Ack, ChatMessage, SessionInfo } from '../../contract/events';
import { freePorts } from '../helpers/ports';

/** Three bundled nodes on their own redis-server, behind HAProxy on a free port. */
export async function startLbCluster(
  opts: { env?: NodeJS.ProcessEnv; onLog?: (id: string, line: string) => void } = {},
): Promise<LocalCluster & { lbUrl: string }> {
  const [lb, ...ports] = await freePorts(4);
  const cluster = await startCluster({ ports, loadBalancerPort: lb, env: opts.env, onLog: opts.onLog });
  return Object.assign(cluster, { lbUrl: cluster.loadBalancer!.url });
}

/**
 * A client as an application would write one: it remembers its rooms and joins them again on
 * every `session` event, since a reconnect may land on a node that has never seen it.
 */
export interface LbClient {
  readonly socket: Socket;
  /** Sessions whose rooms have all been joined, oldest first. */
  readonly sessions: SessionInfo[];
  readonly messages: ChatMessage[];
  session(): SessionInfo;
  join(room: string): Promise<void>;
  send(text: string, room?: string): Promise<string>;
  request<T extends object>(event: string, payload?: unknown): Promise<Ack<T>>;
  /** The first session (past or future) that matches, once its rooms are joined. */
  nextSession(match: (s: SessionInfo) => boolean, timeoutMs?: number): Promise<SessionInfo>;
  nextMessage(match: (m: ChatMessage) => boolean, timeoutMs?: number): Promise<ChatMessage>;
  close(): void;
}

const opened: Socket[] = [];

export function closeLbClients(): void {
  for (const s of opened.splice(0)) s.disconnect();
}

export async function openLbClient(url: string, opts: Partial<ManagerOptions & SocketOptions> = {}): Promise<LbClient> {
  const socket = connect(url, { reconnectionDelay: 100, reconnectionDelayMax: 500, forceNew: true, ...opts });
  opened.push(socket);
  const rooms = new Set<string>();
  const sessions: SessionInfo[] = [];
  const messages: ChatMessage[] = [];
  const checks = new Set<() => void>();
  const changed = () => {
    for (const check of [...checks]) check();
  };
  const request = <T extends object>(event: string, payload?: unknown) =>
    socket.timeout(10_000).emitWithAck(event, payload) as Promise<Ack<T>>;

  socket.on('chat:message', (m: ChatMessage) => {
    messages.push(m);
    changed();
  });
  socket.on('session', (s: SessionInfo) => {
    void Promise.all([...rooms].map((room) => request('room:join', { room }))).then(
      (acks) => {
        if (!acks.every((a) => a.ok)) return;
        sessions.push(s);
        changed();
      },
      // Gone again before the acks came; the next session joins again.
      () => undefined,
    );
  });

  const until = <T>(find: () => T | undefined, what: string, timeoutMs: number) =>
    new Promise<T>((resolve, reject) => {
      const check = () => {
        const found = find();
        if (found === undefined) return;
        checks.delete(check);
        clearTimeout(timer);
        resolve(found);
      };
      const timer = setTimeout(() => {
        checks.delete(check);
        reject(
          new Error(
            `${what} within ${timeoutMs} ms; sessions on ${JSON.stringify(sessions.map((s) => s.node))}, messages ${JSON.stringify(messages.map((m) => m.text))}`,
          ),
        );
      }, timeoutMs);
      checks.add(check);
      check();
    });

  const client: LbClient = {
    socket,
    sessions,
    messages,
    session: () => sessions.at(-1)!,
    async join(room) {
      const ack = await request<{ room: string }>('room:join', { room });
      if (!ack.ok) throw new Error(`join failed: ${JSON.stringify(ack)}`);
      rooms.add(room);
    },
    async send(text, room) {
      const ack = await request<{ id: string }>('chat:message', room === undefined ? { text } : { room, text });
      if (!ack.ok) throw new Error(`send failed: ${JSON.stringify(ack)}`);
      return ack.id;
    },
    request,
    nextSession: (match, timeoutMs = 15_000) => until(() => sessions.find(match), 'no matching session', timeoutMs),
    nextMessage: (match, timeoutMs = 10_000) => until(() => messages.find(match), 'no matching message', timeoutMs),
    close: () => socket.disconnect(),
  };
  await client.nextSession(() => true, 10_000);
  return client;
}

/** Every client sends one message to `room`; resolves once each has received all of them, each marked with its sender's node. */
export async function exchange(clients: LbClient[], room: string, tag: string): Promise<void> {
  const sent = await Promise.all(clients.map(async (c, i) => ({ id: await c.send(`${tag} ${i}`, room), node: c.session().node })));
  await Promise.all(
    clients.flatMap((c) =>
      sent.map(async (s) => {
        const got = await c.nextMessage((m) => m.id === s.id);
        if (got.node !== s.node || got.room !== room)
          throw new Error(`message ${s.id} arrived as ${JSON.stringify(got)}, sent on ${s.node} to ${room}`);
      }),
    ),
  );
}
