import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ServiceNode, startServiceNode } from '../../../local/service-node';
import { JWT_ENV, signToken } from '../../helpers/abuse';
import { closeAllClients, joinRoom, openClient } from '../../helpers/clients';

const forbidden = { ok: false, error: { code: 'forbidden', message: expect.any(String) } };

describe('authorization: the rooms claim has no side doors', () => {
  let node: ServiceNode;
  beforeAll(async () => {
    node = await startServiceNode({ env: { REDIS_URL: '', ...JWT_ENV } });
  });
  afterEach(() => closeAllClients());
  afterAll(async () => node?.stop());

  const client = async (claims: Record<string, unknown>) => openClient(node.url, { auth: { token: await signToken(claims) } });

  it('refuses a room-less message (to everyone) from a token whose rooms claim limits it', async () => {
    const limited = await client({ sub: 'limited', rooms: ['team-blue'] });
    const bystander = await client({ sub: 'bystander' });
    await joinRoom(limited, 'team-blue');
    expect(await limited.request('chat:message', { text: 'to everyone' })).toEqual(forbidden);
    expect(await limited.request('chat:message', { room: null, text: 'to everyone' })).toEqual(forbidden);
    // Its own room still works, and nothing reached anyone else.
    expect(await limited.request('chat:message', { room: 'team-blue', text: 'to my room' })).toMatchObject({ ok: true });
    await limited.nextMessage((m) => m.text === 'to my room');
    expect(bystander.messages.map((m) => m.text)).toEqual([]);
  });

  it('lets a token with the rooms claim message everyone only when its broadcast claim says so', async () => {
    const announcer = await client({ sub: 'announcer', rooms: ['team-blue'], broadcast: true });
    const bystander = await client({ sub: 'bystander2' });
    expect(await announcer.request('chat:message', { text: 'announcement' })).toMatchObject({ ok: true });
    await bystander.nextMessage((m) => m.text === 'announcement');
    // A claim that is not exactly true allows nothing.
    const sloppy = await client({ sub: 'sloppy', rooms: ['team-blue'], broadcast: 'yes' });
    expect(await sloppy.request('chat:message', { text: 'to everyone' })).toEqual(forbidden);
  });

  it('keeps messaging everyone open to a token without a rooms claim', async () => {
    const free = await client({ sub: 'free' });
    expect(await free.request('chat:message', { text: 'hello all' })).toMatchObject({ ok: true });
  });

  it('answers room:members only for rooms the claim lets the user join', async () => {
    const member = await client({ sub: 'member' });
    await joinRoom(member, 'secret-room');
    const limited = await client({ sub: 'limited2', rooms: ['team-*'] });
    expect(await limited.request('room:members', { room: 'secret-room' })).toEqual(forbidden);
    expect(await limited.request('room:members', { room: 'team-red' })).toEqual({ ok: true, room: 'team-red', count: 0 });
    expect(await member.request('room:members', { room: 'secret-room' })).toEqual({ ok: true, room: 'secret-room', count: 1 });
  });
});
