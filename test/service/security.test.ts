import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { io as connect } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ServiceNode, startServiceNode } from '../../local/service-node';
import { closeAllClients, openClient } from '../helpers/clients';
import { freePorts } from '../helpers/ports';

const SECRET = 'a-test-secret-that-is-long-enough-for-hs256';
const ISSUER = 'https://issuer.test';
const AUDIENCE = 'chat';

function hs256(claims: Record<string, unknown>, opts: { exp?: string | number | null; iss?: string; aud?: string; secret?: string } = {}) {
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setIssuer(opts.iss ?? ISSUER)
    .setAudience(opts.aud ?? AUDIENCE);
  if (opts.exp !== null) jwt.setExpirationTime(opts.exp ?? '5m');
  return jwt.sign(new TextEncoder().encode(opts.secret ?? SECRET));
}

/** Resolves with the connect_error message, or 'connected'. */
function handshake(url: string, auth?: Record<string, unknown>): Promise<string> {
  const socket = connect(url, { transports: ['websocket'], reconnection: false, forceNew: true, auth });
  return new Promise((resolve) => {
    socket.once('connect', () => {
      socket.disconnect();
      resolve('connected');
    });
    socket.once('connect_error', (err) => {
      socket.disconnect();
      resolve(err.message);
    });
  });
}

const invalid = (code: string) => ({ ok: false, error: { code, message: expect.any(String) } });

describe('JWT handshake auth (HS256)', () => {
  let node: ServiceNode;
  beforeAll(async () => {
    node = await startServiceNode({
      env: {
        REDIS_URL: '',
        AUTH_MODE: 'jwt',
        AUTH_JWT_SECRET: SECRET,
        AUTH_JWT_ISSUER: ISSUER,
        AUTH_JWT_AUDIENCE: AUDIENCE,
        MAX_ROOMS_PER_SOCKET: '3',
      },
    });
  });
  afterEach(() => closeAllClients());
  afterAll(async () => node?.stop());

  it.each([
    ['no token', async () => undefined],
    ['a non-string token', async () => ({ token: 42 })],
    ['garbage', async () => ({ token: 'not.a.jwt' })],
    [
      'a wrong signature',
      async () => ({ token: await hs256({ sub: 'mallory' }, { secret: 'another-secret-that-is-long-enough-for-hs256' }) }),
    ],
    ['an expired token', async () => ({ token: await hs256({ sub: 'ann' }, { exp: Math.floor(Date.now() / 1000) - 60 }) })],
    ['no expiry', async () => ({ token: await hs256({ sub: 'ann' }, { exp: null }) })],
    ['a wrong issuer', async () => ({ token: await hs256({ sub: 'ann' }, { iss: 'https://evil.test' }) })],
    ['a wrong audience', async () => ({ token: await hs256({ sub: 'ann' }, { aud: 'other' }) })],
    ['no subject', async () => ({ token: await hs256({}) })],
    ['a malformed rooms claim', async () => ({ token: await hs256({ sub: 'ann', rooms: 'team-*' }) })],
  ])('refuses %s with connect_error "unauthorized"', async (_name, auth) => {
    expect(await handshake(node.url, await auth())).toBe('unauthorized');
  });

  it('accepts a valid token, shows its sub as the user, and never logs the token', async () => {
    const token = await hs256({ sub: 'ann' });
    const client = await openClient(node.url, { auth: { token } });
    expect(client.session.user).toBe('ann');
    await client.request('chat:message', { text: 'secret body 7f3a' });
    await client.nextMessage((m) => m.text === 'secret body 7f3a');
    expect(await handshake(node.url, { token: `${token}x` })).toBe('unauthorized');
    await expect.poll(() => JSON.stringify(node.logs)).toContain('handshake refused');
    const logs = JSON.stringify(node.logs);
    expect(logs).not.toContain(token.slice(0, 40));
    expect(logs).not.toContain('secret body 7f3a');
    expect(logs).not.toContain(SECRET);
  });

  it('limits joins to the rooms claim, with wildcards', async () => {
    const client = await openClient(node.url, { auth: { token: await hs256({ sub: 'bob', rooms: ['team-*', 'lobby'] }) } });
    expect(await client.request('room:join', { room: 'team-blue' })).toEqual({ ok: true, room: 'team-blue' });
    expect(await client.request('room:join', { room: 'lobby' })).toEqual({ ok: true, room: 'lobby' });
    expect(await client.request('room:join', { room: 'lobby2' })).toEqual(invalid('forbidden'));
    expect(await client.request('room:join', { room: 'admin' })).toEqual(invalid('forbidden'));
    expect(await client.request('room:join', { room: 'xteam-blue' })).toEqual(invalid('forbidden'));
  });

  it('caps the rooms one socket may be in', async () => {
    const client = await openClient(node.url, { auth: { token: await hs256({ sub: 'cat' }) } });
    for (const room of ['r1', 'r2', 'r3']) expect(await client.request('room:join', { room })).toMatchObject({ ok: true });
    expect(await client.request('room:join', { room: 'r4' })).toEqual(invalid('too_many_rooms'));
    expect(await client.request('room:join', { room: 'r2' })).toMatchObject({ ok: true });
    await client.request('room:leave', { room: 'r1' });
    expect(await client.request('room:join', { room: 'r4' })).toMatchObject({ ok: true });
  });
});

describe('JWT handshake auth (ES256 through a JWKS URL)', () => {
  let node: ServiceNode;
  let jwks: Server;
  let privateKey: CryptoKey;
  beforeAll(async () => {
    const pair = await generateKeyPair('ES256');
    privateKey = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    jwks = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
    const [jwksPort] = await freePorts(1);
    await new Promise<void>((resolve) => jwks.listen(jwksPort, '127.0.0.1', resolve));
    node = await startServiceNode({
      env: { REDIS_URL: '', AUTH_MODE: 'jwt', AUTH_JWKS_URL: `http://127.0.0.1:${jwksPort}/.well-known/jwks.json` },
    });
  });
  afterEach(() => closeAllClients());
  afterAll(async () => {
    await node?.stop();
    jwks?.close();
  });

  it('accepts a token signed by the JWKS key and refuses an HS256 one', async () => {
    const token = await new SignJWT({ sub: 'dee' })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setExpirationTime('5m')
      .sign(privateKey);
    expect((await openClient(node.url, { auth: { token } })).session.user).toBe('dee');
    expect(await handshake(node.url, { token: await hs256({ sub: 'dee' }) })).toBe('unauthorized');
  });
});

describe('abuse limits', () => {
  let node: ServiceNode;
  beforeAll(async () => {
    node = await startServiceNode({
      env: {
        REDIS_URL: '',
        MAX_CONNECTIONS: '4',
        RATE_LIMIT_PER_SOCKET: '1',
        RATE_LIMIT_PER_SOCKET_BURST: '5',
        RATE_LIMIT_DISCONNECT_AFTER: '20',
        MAX_TEXT_BYTES: '1024',
        MAX_HTTP_BUFFER_BYTES: '2048',
        CORS_ORIGINS: 'https://app.example.com',
      },
    });
  });
  afterEach(() => closeAllClients());
  afterAll(async () => node?.stop());

  it('answers rate_limited past the burst, then disconnects a socket that keeps going', async () => {
    const client = await openClient(node.url);
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => client.request('chat:message', { text: `m${i}` })));
    expect(answers.filter((a) => a.ok)).toHaveLength(5);
    expect(answers.filter((a) => !a.ok)).toEqual(Array(3).fill(invalid('rate_limited')));
    const reason = new Promise((resolve) => client.socket.once('disconnect', resolve));
    for (let i = 0; i < 30; i++) client.socket.emit('chat:message', { text: 'flood' });
    // A server-side disconnect is final for the client: it does not come back by itself; it was told why first.
    expect(await reason).toBe('io server disconnect');
    expect(client.received.filter((r) => r.event === 'sys:disconnect')).toEqual([
      { event: 'sys:disconnect', args: [{ reason: 'rate_limited' }] },
    ]);
    // Log lines reach the test through a pipe, after the event.
    await expect.poll(() => node.logs.some((l) => l.msg === 'disconnecting a socket that kept exceeding its rate limit')).toBe(true);
  });

  it('refuses connections past MAX_CONNECTIONS with connect_error "server_full"', async () => {
    await Promise.all(Array.from({ length: 4 }, () => openClient(node.url)));
    expect(await handshake(node.url)).toBe('server_full');
    closeAllClients();
    // Refusal is only while full: once sockets leave, a new one gets in.
    await expect.poll(() => handshake(node.url), { timeout: 10_000 }).toBe('connected');
  });

  it('closes a connection whose frame exceeds MAX_HTTP_BUFFER_BYTES, and keeps serving', async () => {
    const client = await openClient(node.url);
    const reason = new Promise((resolve) => client.socket.once('disconnect', resolve));
    client.socket.emit('chat:message', { text: 'x'.repeat(4096) });
    expect(await reason).toMatch(/transport (close|error)/);
    expect(await handshake(node.url)).toBe('connected');
  });

  it('allows only the configured CORS origins, with credentials', async () => {
    const ok = await fetch(`${node.url}/socket.io/?EIO=4&transport=polling`, { headers: { origin: 'https://app.example.com' } });
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(ok.headers.get('access-control-allow-credentials')).toBe('true');
    const other = await fetch(`${node.url}/socket.io/?EIO=4&transport=polling`, { headers: { origin: 'https://evil.example.com' } });
    expect(other.headers.get('access-control-allow-origin')).not.toBe('https://evil.example.com');
  });
});
