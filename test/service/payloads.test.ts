import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ServiceNode, startServiceNode } from '../../local/service-node';
import { closeRawSockets, openRaw } from '../helpers/abuse';
import { closeAllClients, getJson, openClient } from '../helpers/clients';

const MAX_TEXT_BYTES = 64;

describe('bad payloads on a single node', () => {
  let node: ServiceNode;
  beforeAll(async () => {
    node = await startServiceNode({ env: { MAX_TEXT_BYTES: String(MAX_TEXT_BYTES), REDIS_URL: '' } });
  });
  afterEach(() => {
    closeAllClients();
    closeRawSockets();
  });
  afterAll(async () => node?.stop());

  const invalid = (code: string) => ({ ok: false, error: { code, message: expect.any(String) } });

  it.each([
    ['room:join', undefined],
    ['room:join', 42],
    ['room:join', 'lobby'],
    ['room:join', {}],
    ['room:join', { room: 7 }],
    ['room:join', { room: '' }],
    ['room:join', { room: 'x'.repeat(65) }],
    ['room:join', { room: 'has space' }],
    ['room:join', { room: 'émoji' }],
    ['room:leave', { room: null }],
    ['room:members', { room: ['a'] }],
    ['chat:message', { room: 'lobby' }],
    ['chat:message', { text: 5 }],
    ['chat:message', { text: '' }],
    ['chat:message', { text: 'hi', room: '../etc' }],
    ['chat:message', null],
  ])('%s with %j gets invalid_payload', async (event, payload) => {
    const client = await openClient(node.url);
    expect(await client.request(event, payload)).toEqual(invalid('invalid_payload'));
  });

  it('rejects text over the byte limit, counting UTF-8 bytes, and accepts text at it', async () => {
    const client = await openClient(node.url);
    expect(await client.request('chat:message', { text: 'é'.repeat(MAX_TEXT_BYTES / 2 + 1) })).toEqual(invalid('payload_too_large'));
    expect(await client.request('chat:message', { text: 'é'.repeat(MAX_TEXT_BYTES / 2) })).toMatchObject({ ok: true });
  });

  it('refuses to send to a room the socket has not joined', async () => {
    const client = await openClient(node.url);
    expect(await client.request('chat:message', { room: 'elsewhere', text: 'hi' })).toEqual(invalid('not_in_room'));
  });

  it("answers unknown events that carry an ack with the chat's own unknown_event", async () => {
    const client = await openClient(node.url);
    expect(await client.request('admin:shutdown', { now: true })).toEqual(invalid('unknown_event'));
  });

  it('changes nothing for rejected payloads and survives events without an ack', async () => {
    const client = await openClient(node.url);
    const observer = await openClient(node.url);
    client.socket.emit('room:join', { room: 'bad room' });
    client.socket.emit('chat:message', { text: 12 });
    client.socket.emit('chat:message', { text: 'no ack, no room' });
    client.socket.emit('room:join');
    client.socket.emit('unknown:thing', 1, 2, 3);
    client.socket.emit('room:join', { room: 'quiet' });
    // Events on one socket are handled in order, so this answer comes after all of the above.
    expect(await client.request('room:members', { room: 'quiet' })).toEqual({ ok: true, room: 'quiet', count: 1 });
    expect(await client.request('room:members', { room: 'bad room' })).toEqual(invalid('invalid_payload'));
    const got = await observer.nextMessage((m) => m.text === 'no ack, no room');
    expect(got.from).toBe(client.session.user);
    expect(observer.messages.filter((m) => m.text !== 'no ack, no room')).toEqual([]);
    expect(node.child.exitCode).toBeNull();
    expect((await getJson(`${node.url}/healthz`)).status).toBe(200);
  });

  it('survives events without a name (Socket.IO lets `42` and `421` through), with and without an ack', async () => {
    const raw = await openRaw(node.url);
    raw.send('42');
    raw.send('421');
    raw.send('42[7]');
    // Events on one socket are handled in order: this answer comes after all of the above.
    raw.send('422["room:members",{"room":"nameless"}]');
    expect(await raw.next((f) => f.startsWith('432'), 5_000)).toBe('432[{"ok":true,"room":"nameless","count":0}]');
    expect(node.child.exitCode).toBeNull();
  });

  it('reports health without Redis as disabled and ready', async () => {
    const health = await getJson(`${node.url}/healthz`);
    expect(health).toMatchObject({ status: 200, body: { status: 'ok', node: node.nodeId, redis: 'disabled' } });
    expect(health.body.connections).toEqual(expect.any(Number));
    expect(health.body.uptimeS).toEqual(expect.any(Number));
    expect(await getJson(`${node.url}/readyz`)).toMatchObject({ status: 200, body: { status: 'ready' } });
  });
});
