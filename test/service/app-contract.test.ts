import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE, startServiceNode } from '../../local/service-node';
import { type LocalCluster } from '../../local/local-cluster';
import { bundleApp } from '../../tools/bundle';
import { waitFor } from '../../tools/processes';
import { JWT_ENV, signToken } from '../helpers/abuse';
import { apiCall, KEY_A } from './api/helpers';
import { startClusterBehindHaproxy } from '../helpers/cluster';

const FIXTURES = join(__dirname, '..', 'fixtures', 'apps');
const opened: Socket[] = [];

/** A socket.io-client socket as a team's own client opens it: sticky cookie kept, no reconnection (a cut stays one). */
async function client(url: string, opts: { user?: string; nsp?: string; auth?: Record<string, unknown> } = {}): Promise<Socket> {
  const token = await signToken({ sub: opts.user ?? 'ann', exp: Math.floor(Date.now() / 1000) + 600 });
  const socket = connect(`${url}${opts.nsp ?? ''}`, {
    transports: ['websocket'],
    withCredentials: true,
    reconnection: false,
    forceNew: true,
    auth: { token, ...opts.auth },
  });
  opened.push(socket);
  return socket;
}

const connected = (socket: Socket) =>
  new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
const nextEvent = <T = unknown[]>(socket: Socket, event: string) =>
  new Promise<T>((resolve) => socket.once(event, (...args: unknown[]) => resolve(args as T)));
const ask = (socket: Socket, event: string, ...args: unknown[]) =>
  socket.timeout(10_000).emitWithAck(event, ...args) as Promise<Record<string, unknown>>;

/** Runs the bundle with the app at `file` until it exits; what it printed on stderr, and its exit code. */
function runUntilExit(file: string, timeoutMs = 20_000): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BUNDLE], {
      env: { ...process.env, APP_MODULE: file, HOST: '127.0.0.1', PORT: '0', REDIS_URL: '', LOG_LEVEL: 'silent' },
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${file}: the node did not stop within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe('the app contract: a plain Socket.IO app on a JWT cluster of two nodes behind HAProxy', () => {
  let cluster: LocalCluster;
  let outDir: string;
  let lb: string;
  let node1: string;
  let node2: string;

  beforeAll(async () => {
    outDir = mkdtempSync(join(tmpdir(), 'app-contract-'));
    const appModule = bundleApp(join(FIXTURES, 'contract'), outDir);
    cluster = await startClusterBehindHaproxy({
      env: { ...JWT_ENV, APP_MODULE: appModule, API_KEYS: KEY_A },
    });
    lb = cluster.url;
    [node1, node2] = cluster.nodes.map((n) => n.url);
  }, 120_000);
  afterEach(() => {
    for (const s of opened.splice(0)) s.close();
  });
  afterAll(async () => {
    await cluster?.stop();
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });

  it("runs the app's middleware after the platform's auth, and delivers the app's own `session` event untouched", async () => {
    const socket = await client(lb, { user: 'ann' });
    const [session] = await nextEvent<[Record<string, unknown>]>(socket, 'session');
    expect(session).toEqual({ mine: true, user: 'ann' });
    // The platform's own session event is under its prefix.
    const sys = await client(lb, { user: 'bob' });
    const [info] = await nextEvent<[Record<string, unknown>]>(sys, 'sys:session');
    expect(info).toMatchObject({ user: 'bob' });
  });

  it('takes binary events as a stock server does when the app declares no settings: attachments arrive, and go back', async () => {
    const socket = await client(lb, { user: 'ann' });
    await connected(socket);
    const answer = await ask(socket, 'echo', Buffer.from('a picture'), { caption: 'and its caption' });
    const [picture, caption] = answer.args as [Uint8Array, unknown];
    expect(Buffer.from(picture).toString()).toBe('a picture');
    expect(caption).toEqual({ caption: 'and its caption' });
  });

  it("refuses through the app's middleware with its own connect_error, and never lets a client's sys: event reach the app", async () => {
    const refused = await client(lb, { auth: { refuse: true } });
    await expect(connected(refused)).rejects.toThrow('refused by the app');
    const socket = await client(lb);
    await connected(socket);
    const leaked: unknown[] = [];
    socket.on('leaked', (e: unknown) => leaked.push(e));
    socket.emit('sys:presence', 'x');
    socket.emit('sys:session', { user: 'mallory' });
    // Events are handled in order: once the echo is answered, the sys: events before it were seen and dropped.
    expect(await ask(socket, 'echo', 'a', { b: 2 })).toMatchObject({ ok: true, args: ['a', { b: 2 }] });
    expect(leaked).toEqual([]);
  });

  it("serves the app's namespaces, static and dynamic, behind the platform's auth; an unknown one gets Socket.IO's answer", async () => {
    const admin = await client(lb, { nsp: '/admin', user: 'root' });
    expect(await ask(admin, 'whoami')).toEqual({ ok: true, nsp: '/admin', user: 'root' });
    const dynamic = await client(lb, { nsp: '/room-42' });
    expect(await ask(dynamic, 'where')).toEqual({ ok: true, nsp: '/room-42' });
    const unknown = await client(lb, { nsp: '/nope' });
    await expect(connected(unknown)).rejects.toThrow('Invalid namespace');
    // Without a token the platform refuses every namespace, the app's too.
    const anonymous = connect(`${lb}/admin`, { transports: ['websocket'], reconnection: false, forceNew: true });
    opened.push(anonymous);
    await expect(connected(anonymous)).rejects.toThrow('unauthorized');
  });

  it('shares rooms, fetchSockets and Redis across nodes as a stock cluster does', async () => {
    const a = await client(node1, { user: 'ann' });
    const b = await client(node2, { user: 'bob' });
    await Promise.all([connected(a), connected(b)]);
    await Promise.all([ask(a, 'join', 'lobby'), ask(b, 'join', 'lobby')]);
    const heard = nextEvent(b, 'shouted');
    a.emit('shout', 'lobby', 'hello lobby');
    expect(await heard).toEqual(['hello lobby', cluster.nodes[0].nodeId]);
    expect(await ask(b, 'members', 'lobby')).toEqual({ ok: true, count: 2 });
    // The backend API's presence sees the app's rooms on every node.
    expect((await apiCall(lb, 'GET', '/api/v1/rooms/lobby/presence')).body).toMatchObject({
      ok: true,
      users: ['ann', 'bob'],
      connections: 2,
    });
    // platform.redisUrl carries the local Redis's AUTH password: one node writes, the other reads.
    expect(await ask(a, 'remember', 'k', 'v1')).toEqual({ ok: true });
    expect(await ask(b, 'recall', 'k')).toEqual({ ok: true, value: 'v1' });
  });

  it('answers a flood of 400 events with acks: rate_limited past the per-socket limit, never a disconnect', async () => {
    const socket = await client(node1);
    await connected(socket);
    const answers = await Promise.all(Array.from({ length: 400 }, (_, n) => ask(socket, 'flood', n)));
    const limited = answers.filter((a) => (a.error as { code?: string } | undefined)?.code === 'rate_limited').length;
    expect(answers.filter((a) => a.ok === true).length).toBeGreaterThanOrEqual(240);
    expect(limited).toBeGreaterThan(0);
    expect(limited + answers.filter((a) => a.ok === true).length).toBe(400);
    expect(socket.connected).toBe(true);
  });

  it('costs a throwing handler, onAny listener or socket middleware of the app that event only, not the node', async () => {
    const socket = await client(node1);
    await connected(socket);
    for (const event of ['throws', 'throws-in-any', 'throws-in-use']) socket.emit(event);
    // Events are handled in order: the answer to this one comes after the three bugs ran.
    expect(await ask(socket, 'echo', 'still here')).toMatchObject({ ok: true, args: ['still here'] });
    const node = cluster.nodes[0];
    expect(node.child.exitCode).toBeNull();
    const logged = await waitFor(
      () => node.logs.filter((l) => l.msg === 'an app handler threw').map((l) => l.event),
      (events) => events.length === 3,
    );
    expect(logged.sort()).toEqual(['throws', 'throws-in-any', 'throws-in-use']);
    expect(socket.connected).toBe(true);
  });

  it('publishes any app event name through the API with exactly the arguments the backend gives', async () => {
    const socket = await client(lb, { user: 'pub' });
    await nextEvent(socket, 'sys:session');
    const one = nextEvent(socket, 'new message');
    const answer = await apiCall(lb, 'POST', '/api/v1/publish', { body: { event: 'new message', users: ['pub'], data: { text: 'hi' } } });
    expect(answer).toMatchObject({ status: 200, body: { ok: true, id: expect.any(String) } });
    expect(await one).toEqual([{ text: 'hi' }]);
    const many = nextEvent(socket, 'stroke');
    await apiCall(lb, 'POST', '/api/v1/publish', { body: { event: 'stroke', users: ['pub'], args: [1, 'two', { three: 3 }] } });
    expect(await many).toEqual([1, 'two', { three: 3 }]);
    const reserved = await apiCall(lb, 'POST', '/api/v1/publish', { body: { event: 'sys:session', users: ['pub'] } });
    expect(reserved).toMatchObject({ status: 400, body: { ok: false, error: { code: 'invalid_payload' } } });
  });

  it("sends every path but /socket.io/, health and /api/ to the app's http export; a throwing handler costs one request", async () => {
    const hello = await fetch(`${lb}/hello`);
    expect([hello.status, await hello.text()]).toEqual([200, 'hello from the app']);
    expect((await fetch(`${lb}/readyz`)).status).toBe(200);
    expect((await fetch(`${lb}/api/v1/nothing`, { headers: { authorization: `Bearer ${KEY_A}` } })).status).toBe(404);
    const client = await fetch(`${lb}/socket.io/socket.io.min.js`);
    expect([client.status, client.headers.get('content-type')]).toEqual([200, 'text/javascript; charset=utf-8']);
    expect((await fetch(`${node1}/throws`)).status).toBe(500);
    expect((await fetch(`${node1}/hello`)).status).toBe(200);
  });
});

describe('an app that cannot run stops the node in one line naming the file', () => {
  let outDir: string;
  beforeAll(() => {
    outDir = mkdtempSync(join(tmpdir(), 'app-shapes-'));
  });
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it.each([
    ['throws-at-start.js', 1, /^app \S+index\.js failed to start: the app could not reach its database\n$/],
    ['no-function.js', 78, /^app \S+index\.js exports no app function: use module\.exports = function app\(io, platform\)/],
    ['throws-on-load.js', 78, /^app \S+index\.js failed to load: syntax of the app is fine, its top level throws\n$/],
    ['misspelt-settings.js', 78, /^app \S+index\.js: settings: Unrecognized key: "binnary" \(binary: false, or \{ maxAttachments: 1-10,/],
    [
      'oversized-attachments.js',
      78,
      /^app \S+index\.js: settings\.binary\.maxAttachmentBytes \(1048576\) is above MAX_HTTP_BUFFER_BYTES \(65536\)/,
    ],
  ])('%s: exit %i', async (file, code, message) => {
    const bundled = bundleApp(join(FIXTURES, 'shapes', file), join(outDir, file));
    const result = await runUntilExit(bundled);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.code).toBe(code);
  });

  it('a missing module: exit 78, naming the file', async () => {
    const result = await runUntilExit(join(outDir, 'missing', 'index.js'));
    expect(result.stderr).toMatch(/^app \S+missing\/index\.js: no such file/);
    expect(result.code).toBe(78);
  });
});

describe('an ES module app', () => {
  it('runs from its default export, serves its http export, and keeps import.meta.url a file URL once bundled', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'app-esm-'));
    const node = await startServiceNode({ env: { REDIS_URL: '', APP_MODULE: bundleApp(join(FIXTURES, 'shapes', 'esm-app.mjs'), outDir) } });
    try {
      const page = await fetch(`${node.url}/anything`);
      expect(await page.text()).toBe('esm http');
      const socket = connect(node.url, { transports: ['websocket'], reconnection: false, forceNew: true });
      opened.push(socket);
      expect(await ask(socket, 'where-am-i')).toEqual({ ok: true, url: true });
    } finally {
      for (const s of opened.splice(0)) s.close();
      await node.stop();
      rmSync(outDir, { recursive: true, force: true });
    }
  });
});

describe('a client the limits disconnect', () => {
  it('is told why in sys:disconnect before the close, after its refused events were answered rate_limited', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'app-limits-'));
    const env = { REDIS_URL: '', RATE_LIMIT_PER_SOCKET: '5', RATE_LIMIT_PER_SOCKET_BURST: '5', RATE_LIMIT_DISCONNECT_AFTER: '20' };
    const node = await startServiceNode({ env: { ...env, APP_MODULE: bundleApp(join(FIXTURES, 'contract'), outDir) } });
    try {
      const socket = connect(node.url, { transports: ['websocket'], reconnection: false, forceNew: true });
      opened.push(socket);
      await connected(socket);
      const told = nextEvent<[{ reason: string }]>(socket, 'sys:disconnect');
      const closed = nextEvent<[string]>(socket, 'disconnect');
      const answers = Array.from({ length: 30 }, (_, n) =>
        ask(socket, 'flood', n).catch((e: Error): Record<string, unknown> => ({ ok: e.message })),
      );
      expect(await told).toEqual([{ reason: 'rate_limited' }]);
      expect((await closed)[0]).toBe('io server disconnect');
      const codes = (await Promise.all(answers)).map((a) => (a.ok === true ? 'ok' : ((a.error as { code?: string })?.code ?? a.ok)));
      // The first 5 went to the app, whose answers leave on a later tick: before the close, or lost with the connection.
      for (const code of codes.slice(0, 5)) expect(['ok', 'socket has been disconnected']).toContain(code);
      expect(codes.slice(5, 25)).toEqual(Array(20).fill('rate_limited'));
      expect(codes.slice(25)).toEqual(Array(5).fill('socket has been disconnected'));
    } finally {
      for (const s of opened.splice(0)) s.close();
      await node.stop();
      rmSync(outDir, { recursive: true, force: true });
    }
  });
});
