import { expect } from 'vitest';
import { io as connect, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import type { SessionInfo } from '../../contract/app';
import type { Ack, ChatMessage } from '../../apps/chat/protocol';

/** One event the server sent, with its arguments. */
export interface Received {
  readonly event: string;
  readonly args: unknown[];
}

/**
 * The one test client: a socket.io-client socket as an application would use it. It keeps
 * every event, message and session, and remembers the rooms joined with `join`, joining them again on
 * every new `session`: a reconnect may land on a node that has never seen it (docs/protocol.md).
 */
export interface TestClient {
  readonly socket: Socket;
  /** The latest session whose rooms have all been joined. */
  readonly session: SessionInfo;
  /** Sessions whose rooms have all been joined, oldest first. */
  readonly sessions: SessionInfo[];
  /** Every chat:message received, in order. */
  readonly messages: ChatMessage[];
  /** Every event the server sent (session, chat:message, what a backend published …), in order. */
  readonly received: Received[];
  request<T extends object>(event: string, payload?: unknown): Promise<Ack<T>>;
  /** Joins `room` (the ack must be `{ ok: true, room }`) and joins it again after every reconnect. */
  join(room: string): Promise<void>;
  /** Sends a chat message (to everyone without a room) and returns its id; throws when it is refused. */
  send(text: string, room?: string): Promise<string>;
  /** The first session (past or future) that matches, once its rooms are joined. */
  nextSession(match: (s: SessionInfo) => boolean, timeoutMs?: number): Promise<SessionInfo>;
  /** The first received message (past or future) that matches. */
  nextMessage(match: (m: ChatMessage) => boolean, timeoutMs?: number): Promise<ChatMessage>;
  /** The arguments of the first received `event` (past or future) that matches. */
  nextEvent(event: string, match?: (args: unknown[]) => boolean, timeoutMs?: number): Promise<unknown[]>;
  close(): void;
}

export type ClientOptions = Partial<ManagerOptions & SocketOptions>;

/** What a browser does: long-polling first, then the upgrade, keeping the sticky cookie. */
export const BROWSER_LIKE: ClientOptions = { transports: ['polling', 'websocket'], withCredentials: true };

const opened: Socket[] = [];

/**
 * Connects (over WebSocket unless `opts.transports` says otherwise) and resolves once the
 * server's `session` event has arrived.
 */
export async function openClient(url: string, opts: ClientOptions = {}): Promise<TestClient> {
  const socket = connect(url, { transports: ['websocket'], reconnectionDelay: 100, reconnectionDelayMax: 500, forceNew: true, ...opts });
  opened.push(socket);
  const rooms = new Set<string>();
  const sessions: SessionInfo[] = [];
  const messages: ChatMessage[] = [];
  const received: Received[] = [];
  const checks = new Set<() => void>();
  const changed = () => {
    for (const check of [...checks]) check();
  };
  const request = <T extends object>(event: string, payload?: unknown) =>
    socket.timeout(10_000).emitWithAck(event, payload) as Promise<Ack<T>>;

  // Registered before the connection, so that nothing the server sends is missed, `session` included.
  socket.onAny((event: string, ...args: unknown[]) => {
    received.push({ event, args });
    changed();
  });
  socket.on('chat:message', (m: ChatMessage) => {
    messages.push(m);
    changed();
  });
  socket.on('sys:session', (s: SessionInfo) => {
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
        const seen = `sessions on ${JSON.stringify(sessions.map((s) => s.node))}, messages ${JSON.stringify(messages.map((m) => m.text))}`;
        reject(new Error(`${what} from ${url} within ${timeoutMs} ms; ${seen}`));
      }, timeoutMs);
      checks.add(check);
      check();
    });

  const client: TestClient = {
    socket,
    get session() {
      return sessions.at(-1)!;
    },
    sessions,
    messages,
    received,
    request,
    async join(room) {
      expect(await request('room:join', { room })).toEqual({ ok: true, room });
      rooms.add(room);
    },
    async send(text, room) {
      const ack = await request<{ id: string }>('chat:message', room === undefined ? { text } : { room, text });
      if (!ack.ok) throw new Error(`send failed: ${JSON.stringify(ack)}`);
      return ack.id;
    },
    nextSession: (match, timeoutMs = 15_000) => until(() => sessions.find(match), 'no matching session', timeoutMs),
    nextMessage: (match, timeoutMs = 10_000) => until(() => messages.find(match), 'no matching message', timeoutMs),
    nextEvent: (event, match = () => true, timeoutMs = 10_000) =>
      until(
        () => received.find((r) => r.event === event && match(r.args))?.args,
        `no matching ${event} (got ${JSON.stringify(received.map((r) => r.event))})`,
        timeoutMs,
      ),
    close: () => socket.disconnect(),
  };
  await client.nextSession(() => true, 10_000);
  return client;
}

/** Disconnects every client opened since the last call: an afterEach of every suite that opens clients. */
export function closeAllClients(): void {
  for (const s of opened.splice(0)) s.disconnect();
}

/** `client.join(room)`, for suites written as `joinRoom(client, room)`. */
export const joinRoom = (client: TestClient, room: string) => client.join(room);

/** `client.send(text, room)`, for suites written as `send(client, text, room)`. */
export const send = (client: TestClient, text: string, room?: string) => client.send(text, room);

/**
 * Every client sends one message to `room`; resolves once each has received all of them, each
 * marked with its sender's node and the room.
 */
export async function exchange(clients: TestClient[], room: string, tag: string): Promise<void> {
  const sent = await Promise.all(clients.map(async (c, i) => ({ id: await c.send(`${tag} ${i}`, room), node: c.session.node })));
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

export { waitFor } from '../../tools/processes';

let seq = 0;
/** A name (room, tag) that no other test of this run uses. */
export const unique = (prefix: string) => `${prefix}-${process.pid}-${++seq}`;

export async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
