import { expect } from 'vitest';
import { io as connect, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import type { Ack, ChatMessage, SessionInfo } from '../../contract/events';

export interface TestClient {
  readonly socket: Socket;
  readonly session: SessionInfo;
  /** Every chat:message received, in order. */
  readonly messages: ChatMessage[];
  request<T extends object>(event: string, payload?: unknown): Promise<Ack<T>>;
  /** Resolves with the first received message (past or future) that matches. */
  nextMessage(match: (m: ChatMessage) => boolean, timeoutMs?: number): Promise<ChatMessage>;
  close(): void;
}

const opened: Socket[] = [];

/** Connects and resolves once the server's `session` event has arrived. */
export async function openClient(url: string, opts: Partial<ManagerOptions & SocketOptions> = {}): Promise<TestClient> {
  const socket = connect(url, { transports: ['websocket'], reconnectionDelay: 100, reconnectionDelayMax: 500, forceNew: true, ...opts });
  opened.push(socket);
  const messages: ChatMessage[] = [];
  const waiters = new Set<() => void>();
  socket.on('chat:message', (m: ChatMessage) => {
    messages.push(m);
    for (const w of waiters) w();
  });
  const session = await new Promise<SessionInfo>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no session from ${url}`)), 10_000);
    socket.once('session', (s: SessionInfo) => {
      clearTimeout(timer);
      resolve(s);
    });
  });
  return {
    socket,
    session,
    messages,
    request: <T extends object>(event: string, payload?: unknown) => socket.timeout(10_000).emitWithAck(event, payload) as Promise<Ack<T>>,
    nextMessage: (match, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const found = messages.find(match);
          if (!found) return false;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching message within ${timeoutMs} ms; got ${JSON.stringify(messages.map((m) => m.text))}`));
        }, timeoutMs);
        if (!check()) waiters.add(check);
      }),
    close: () => socket.disconnect(),
  };
}

export function closeAllClients(): void {
  for (const s of opened.splice(0)) s.disconnect();
}

export { waitFor } from '../../local/processes';

let seq = 0;
/** A name (room, tag) that no other test of this run uses. */
export const unique = (prefix: string) => `${prefix}-${process.pid}-${++seq}`;

export async function joinRoom(client: TestClient, room: string): Promise<void> {
  expect(await client.request('room:join', { room })).toEqual({ ok: true, room });
}

/** Sends a chat message (to everyone without a room) and returns its id; throws when it is refused. */
export async function send(client: TestClient, text: string, room?: string): Promise<string> {
  const ack = await client.request<{ id: string }>('chat:message', room === undefined ? { text } : { room, text });
  if (!ack.ok) throw new Error(`send failed: ${JSON.stringify(ack)}`);
  return ack.id;
}

export async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
