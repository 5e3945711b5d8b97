import { io as connect } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ServiceNode, startServiceNode } from '../../../local/service-node';
import { JWT_ENV, signToken } from '../../helpers/abuse';
import { closeAllClients, openClient } from '../../helpers/clients';

/** Resolves with the connect_error message, or the session's user. */
function handshake(url: string, token: string): Promise<string> {
  const socket = connect(url, { transports: ['websocket'], reconnection: false, forceNew: true, auth: { token } });
  return new Promise((resolve) => {
    socket.once('sys:session', (s: { user: string }) => {
      socket.disconnect();
      resolve(`user ${s.user}`);
    });
    socket.once('connect_error', (err) => {
      socket.disconnect();
      resolve(err.message);
    });
  });
}

describe('token claims: sub, and rooms patterns matched in linear time', () => {
  let node: ServiceNode;
  beforeAll(async () => {
    node = await startServiceNode({ env: { REDIS_URL: '', ...JWT_ENV, AUTH_MAX_ROOM_PATTERNS: '10' } });
  });
  afterEach(() => closeAllClients());
  afterAll(async () => node?.stop('SIGKILL'));

  it.each([
    ['a number', 42],
    ['an object', { id: 'ann' }],
    ['an empty string', ''],
    ['257 characters', 'x'.repeat(257)],
    ['5000 characters', 'x'.repeat(5_000)],
  ])('refuses a sub that is %s', async (_name, sub) => {
    expect(await handshake(node.url, await signToken({ sub }))).toBe('unauthorized');
  });

  it('accepts a sub of 1 and of 256 characters', async () => {
    expect(await handshake(node.url, await signToken({ sub: 'a' }))).toBe('user a');
    expect(await handshake(node.url, await signToken({ sub: 'b'.repeat(256) }))).toBe(`user ${'b'.repeat(256)}`);
  });

  it('refuses a rooms claim with more patterns than AUTH_MAX_ROOM_PATTERNS, or a pattern no room could match', async () => {
    const rooms = (n: number) => Array.from({ length: n }, (_, i) => `room-${i}`);
    expect(await handshake(node.url, await signToken({ sub: 'ten', rooms: rooms(10) }))).toBe('user ten');
    expect(await handshake(node.url, await signToken({ sub: 'eleven', rooms: rooms(11) }))).toBe('unauthorized');
    expect(await handshake(node.url, await signToken({ sub: 'odd', rooms: ['team blue'] }))).toBe('unauthorized');
    expect(await handshake(node.url, await signToken({ sub: 'long', rooms: ['x'.repeat(200)] }))).toBe('unauthorized');
  });

  it('answers a join against a pathological wildcard claim at once, and keeps serving others meanwhile', async () => {
    // Against a backtracking regex, each extra star multiplies the work; twenty would take longer than the universe.
    const pattern = `${'*a'.repeat(20)}*b`;
    const victim = await openClient(node.url, { auth: { token: await signToken({ sub: 'victim', rooms: [pattern, 'x-*-y-*-z'] }) } });
    const other = await openClient(node.url, { auth: { token: await signToken({ sub: 'other' }) } });
    const started = performance.now();
    const answer = await victim.request('room:join', { room: 'a'.repeat(64) });
    const joinMs = performance.now() - started;
    console.log(`join against ${JSON.stringify(pattern)} (${pattern.split('*').length - 1} stars) answered in ${joinMs.toFixed(2)} ms`);
    expect(answer).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await victim.request('room:join', { room: `${'a'.repeat(20)}b` })).toMatchObject({ ok: true });
    expect(await victim.request('room:join', { room: 'x--y-q-z' })).toMatchObject({ ok: true });
    expect(await victim.request('room:join', { room: 'x-y-z' })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await other.request('room:join', { room: 'lobby' })).toMatchObject({ ok: true });
  });
});
