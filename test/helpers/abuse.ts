/**
 * Clients that do what no well-behaved client does: raw Engine.IO / Socket.IO frames over a
 * WebSocket, raw polling handshakes from a chosen loopback source address, raw HTTP requests.
 * Every loop here is bounded in count and in time.
 */
import { Agent, request } from 'node:http';
import { connect as tcpConnect } from 'node:net';
import { SignJWT } from 'jose';
import { io as connect, type ManagerOptions, type SocketOptions } from 'socket.io-client';
import WebSocket from 'ws';

export const TEST_JWT_SECRET = 'a-test-secret-that-is-long-enough-for-hs256';

/** An HS256 token for TEST_JWT_SECRET, valid for five minutes. */
export function signToken(claims: Record<string, unknown>): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(TEST_JWT_SECRET));
}

/** The environment of a node that verifies TEST_JWT_SECRET's tokens. */
export const JWT_ENV: Readonly<NodeJS.ProcessEnv> = { AUTH_MODE: 'jwt', AUTH_JWT_SECRET: TEST_JWT_SECRET };

export type Outcome = string | 'closed' | 'timeout';

/** One Engine.IO connection over a raw WebSocket; it answers the server's pings and keeps every text frame. */
export interface RawSocket {
  readonly ws: WebSocket;
  /** Text frames received so far, in order. */
  readonly frames: string[];
  /** Frames sent by send(), until the server's close was seen. */
  readonly sent: number;
  /** Resolves when the connection is closed, with the time since it opened. */
  readonly closed: Promise<{ afterMs: number }>;
  isOpen(): boolean;
  send(frame: string | Buffer): void;
  /** The first frame (past or future) that matches, or 'closed' / 'timeout'. */
  next(match: (frame: string) => boolean, timeoutMs?: number): Promise<Outcome>;
  close(): void;
}

export interface RawOptions {
  readonly headers?: Record<string, string>;
  /** A loopback source address such as 127.0.0.2: a client the load balancer sees as another IP. */
  readonly localAddress?: string;
  /** Sends `40` with this auth payload after the open packet, and waits for its answer; false: no CONNECT. */
  readonly auth?: Record<string, unknown> | false;
}

const opened: RawSocket[] = [];

export function closeRawSockets(): void {
  for (const s of opened.splice(0)) s.close();
}

/** Opens a raw WebSocket session and (unless auth is false) connects to `/`; throws if the server does not open it. */
export async function openRaw(baseUrl: string, opts: RawOptions = {}): Promise<RawSocket> {
  const url = `${baseUrl.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`;
  const ws = new WebSocket(url, { headers: opts.headers, localAddress: opts.localAddress });
  ws.on('error', () => undefined);
  const frames: string[] = [];
  const waiters = new Set<() => void>();
  const started = Date.now();
  let sent = 0;
  let isClosed = false;
  const closed = new Promise<{ afterMs: number }>((resolve) =>
    ws.once('close', () => {
      isClosed = true;
      for (const w of [...waiters]) w();
      resolve({ afterMs: Date.now() - started });
    }),
  );
  ws.on('message', (data, isBinary) => {
    if (isBinary) return;
    const text = data.toString();
    if (text === '2') ws.send('3');
    frames.push(text);
    for (const w of [...waiters]) w();
  });
  const next = (match: (frame: string) => boolean, timeoutMs = 10_000) =>
    new Promise<Outcome>((resolve) => {
      const check = () => {
        const found = frames.find(match);
        if (found === undefined && !isClosed) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve(found ?? 'closed');
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        resolve('timeout');
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  const socket: RawSocket = {
    ws,
    frames,
    get sent() {
      return sent;
    },
    closed,
    isOpen: () => ws.readyState === WebSocket.OPEN,
    send(frame) {
      if (ws.readyState !== WebSocket.OPEN) return;
      ws.send(frame);
      sent++;
    },
    next,
    close: () => ws.terminate(),
  };
  opened.push(socket);
  const open = await next((f) => f.startsWith('0{'));
  if (!open.startsWith('0{')) throw new Error(`no Engine.IO open packet (${open}${upgradeError(ws)})`);
  if (opts.auth !== false) {
    socket.send(`40${opts.auth ? JSON.stringify(opts.auth) : ''}`);
    const answer = await next((f) => f.startsWith('40') || f.startsWith('44'));
    if (!answer.startsWith('40{')) throw new Error(`CONNECT was not accepted: ${answer}`);
  }
  return socket;
}

/** Whether the server closes `raw` within `ms`. */
export function closedWithin(raw: RawSocket, ms: number): Promise<boolean> {
  return Promise.race([raw.closed.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms))]);
}

function upgradeError(ws: WebSocket): string {
  const reason = (ws as unknown as { _req?: { res?: { statusCode?: number } } })._req?.res?.statusCode;
  return reason ? `, HTTP ${reason}` : '';
}

/** Whether a WebSocket handshake is accepted: 'open', or the HTTP status the server answered with. */
export function tryWebSocket(baseUrl: string, headers: Record<string, string> = {}, query = ''): Promise<'open' | number | 'error'> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket${query}`, { headers });
    ws.once('open', () => {
      ws.terminate();
      resolve('open');
    });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 'error');
      ws.terminate();
    });
    ws.once('error', () => resolve('error'));
  });
}

export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** The cookies a response sets, as a browser sends them back (`name=value; …`): a polling session's key among them. */
export function cookiesSet(setCookie: string | string[] | undefined): string {
  return [setCookie ?? []]
    .flat()
    .map((c) => c.split(';')[0])
    .join('; ');
}

/** One HTTP request, as written (no path normalisation), optionally from a chosen source address or through an agent. */
export function httpRequest(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string; agent?: Agent; localAddress?: string; timeoutMs?: number } = {},
): Promise<RawResponse> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path: `${u.pathname}${u.search}`,
        method: opts.method ?? 'GET',
        headers: opts.headers,
        agent: opts.agent,
        localAddress: opts.agent ? undefined : opts.localAddress,
        timeout: opts.timeoutMs ?? 10_000,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** The status line and the time to it, for a request written byte for byte on a fresh TCP connection. */
export function rawHttp(port: number, text: string, timeoutMs = 5_000): Promise<{ statusLine: string; afterMs: number }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const sock = tcpConnect(port, '127.0.0.1', () => sock.write(text));
    let data = '';
    let done = false;
    const finish = (statusLine: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ statusLine, afterMs: Date.now() - started });
    };
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => {
      data += chunk;
      if (data.includes('\r\n')) finish(data.split('\r\n')[0]);
    });
    sock.on('end', () => finish(data.split('\r\n')[0] || 'closed without an answer'));
    sock.on('error', () => finish(data.split('\r\n')[0] || 'connection error'));
  });
}

export interface FloodStats {
  requests: number;
  opened: number;
  refused: number;
  errors: number;
  ms: number;
}

/**
 * Token-less polling handshakes (one GET each, never followed by a CONNECT), `concurrency` at a
 * time, spread over `sources` (loopback source addresses), until `stop()` or the bounds.
 */
export function floodHandshakes(opts: {
  url: string;
  sources: readonly string[];
  concurrency: number;
  maxRequests: number;
  maxMs: number;
  headers?: Record<string, string>;
}): { done: Promise<FloodStats>; stop(): void; stats: FloodStats } {
  const agents = opts.sources.map((localAddress) => new Agent({ keepAlive: true, maxSockets: opts.concurrency, localAddress }));
  const stats: FloodStats = { requests: 0, opened: 0, refused: 0, errors: 0, ms: 0 };
  const started = Date.now();
  let stopped = false;
  const lane = async (i: number) => {
    while (!stopped && stats.requests < opts.maxRequests && Date.now() - started < opts.maxMs) {
      const agent = agents[(i + stats.requests) % agents.length];
      stats.requests++;
      try {
        const res = await httpRequest(`${opts.url}/socket.io/?EIO=4&transport=polling`, { agent, headers: opts.headers, timeoutMs: 5_000 });
        if (res.status === 200) stats.opened++;
        else stats.refused++;
      } catch {
        stats.errors++;
      }
    }
  };
  const done = Promise.all(Array.from({ length: opts.concurrency }, (_, i) => lane(i))).then(() => {
    stats.ms = Date.now() - started;
    for (const a of agents) a.destroy();
    return stats;
  });
  return { done, stop: () => (stopped = true), stats };
}

/** Connects a socket.io-client once, without retries: 'connected', or the connect_error message, or 'timeout'. */
export function connectOnce(url: string, opts: Partial<ManagerOptions & SocketOptions> = {}, timeoutMs = 8_000): Promise<string> {
  const socket = connect(url, { reconnection: false, forceNew: true, withCredentials: true, timeout: timeoutMs, ...opts });
  return new Promise((resolve) => {
    let done = false;
    const finish = (outcome: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(outcome);
      socket.disconnect();
    };
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    socket.once('sys:session', () => finish('connected'));
    socket.once('connect_error', (err) => finish(err.message));
    // Closed before it was answered (e.g. its session was evicted): the client would reconnect, this one reports it.
    socket.once('disconnect', (reason) => finish(`disconnected: ${reason}`));
  });
}

/** Percentiles of timings, for printing, not asserting. */
export function percentiles(samples: number[]): { n: number; p50: number; p95: number; max: number } {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
  return { n: s.length, p50: at(0.5), p95: at(0.95), max: s.at(-1) ?? NaN };
}

/** Log lines of a node with this `msg`. */
export const linesWith = (logs: Array<Record<string, unknown>>, msg: string) => logs.filter((l) => l.msg === msg);

const held: ReturnType<typeof connect>[] = [];

/**
 * `n` new clients connecting at once, one try each (no reconnection), holding their sockets until releaseHeldClients():
 * how many connected, and the others' connect_error messages (or 'timeout').
 */
export async function connectAndHold(
  url: string,
  n: number,
  options: (i: number) => Promise<Partial<ManagerOptions & SocketOptions>> | Partial<ManagerOptions & SocketOptions>,
  timeoutMs = 10_000,
): Promise<{ connected: number; failures: string[] }> {
  const outcomes = await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const socket = connect(url, {
        transports: ['websocket'],
        reconnection: false,
        forceNew: true,
        timeout: timeoutMs,
        ...(await options(i)),
      });
      held.push(socket);
      return new Promise<string>((resolve) => {
        const timer = setTimeout(() => resolve('timeout'), timeoutMs);
        const done = (outcome: string) => {
          clearTimeout(timer);
          resolve(outcome);
        };
        socket.once('sys:session', () => done('connected'));
        socket.once('connect_error', (err) => done(err.message));
      });
    }),
  );
  return { connected: outcomes.filter((o) => o === 'connected').length, failures: outcomes.filter((o) => o !== 'connected') };
}

/** Disconnects every client connectAndHold() opened. */
export function releaseHeldClients(): void {
  for (const s of held.splice(0)) s.disconnect();
}
