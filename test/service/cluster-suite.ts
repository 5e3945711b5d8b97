import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ChatMessage } from '../../apps/chat/protocol';
import { closeAllClients, joinRoom, openClient, send, type TestClient, unique, waitFor } from '../helpers/clients';

export interface ClusterUnderTest {
  /** One URL per node, each a separate server process. */
  readonly urls: string[];
  stop(): Promise<void>;
}

/** Registers further tests of one mode inside the suite, on the same running cluster. */
export type ModeTests<T extends ClusterUnderTest> = (cluster: () => T) => void;

const count = (client: TestClient, pred: (m: ChatMessage) => boolean) => client.messages.filter(pred).length;

/**
 * The behaviour every adapter mode must keep across nodes. Messages from one sender arrive in
 * order, so a later broadcast (the barrier) proves an earlier one was not delivered.
 */
export function clusterSuite<T extends ClusterUnderTest>(name: string, start: () => Promise<T>, modeTests?: ModeTests<T>): void {
  describe(`cluster: ${name}`, () => {
    let cluster: T;
    beforeAll(async () => {
      cluster = await start();
      expect(cluster.urls.length).toBeGreaterThanOrEqual(3);
    });
    afterEach(() => closeAllClients());
    afterAll(async () => cluster?.stop());

    const clientsOnEveryNode = () => Promise.all(cluster.urls.map((url) => openClient(url)));

    it('delivers a room message sent through node 1 to members on every node exactly once, and to no one else', async () => {
      const [a, b, c] = await clientsOnEveryNode();
      const outsiders = await clientsOnEveryNode();
      expect(new Set([a, b, c].map((x) => x.session.node)).size).toBe(3);
      const room = unique('room');
      for (const member of [a, b, c]) await joinRoom(member, room);

      const id = await send(a, 'hello room', room);
      const barrier = await send(a, unique('barrier'));
      for (const member of [a, b, c]) {
        const got = await member.nextMessage((m) => m.id === id);
        expect(got).toMatchObject({ room, text: 'hello room', from: a.session.user, node: a.session.node });
        await member.nextMessage((m) => m.id === barrier);
        expect(count(member, (m) => m.id === id)).toBe(1);
      }
      for (const outsider of outsiders) {
        await outsider.nextMessage((m) => m.id === barrier);
        expect(count(outsider, (m) => m.id === id)).toBe(0);
      }
    });

    it('delivers a message without a room to every socket on every node, with room null', async () => {
      const clients = [...(await clientsOnEveryNode()), ...(await clientsOnEveryNode())];
      const id = await send(clients[1], 'to everyone');
      for (const client of clients) {
        const got = await client.nextMessage((m) => m.id === id);
        expect(got.room).toBeNull();
        expect(got.node).toBe(clients[1].session.node);
      }
    });

    it('counts room members across nodes', async () => {
      const room = unique('count');
      const clients = [...(await clientsOnEveryNode()), await openClient(cluster.urls[2])];
      for (const client of clients) await joinRoom(client, room);
      for (const asker of clients.slice(0, 3)) {
        expect(await asker.request('room:members', { room })).toEqual({ ok: true, room, count: 4 });
      }
    });

    it('stops delivering to a member after it leaves', async () => {
      const [a, b] = await clientsOnEveryNode();
      const room = unique('leave');
      await joinRoom(a, room);
      await joinRoom(b, room);
      expect(await b.request('room:leave', { room })).toEqual({ ok: true, room });
      const id = await send(a, 'after leave', room);
      const barrier = await send(a, unique('barrier'));
      await a.nextMessage((m) => m.id === id);
      await b.nextMessage((m) => m.id === barrier);
      expect(count(b, (m) => m.id === id)).toBe(0);
      expect(await a.request('room:members', { room })).toEqual({ ok: true, room, count: 1 });
    });

    it('removes a disconnected socket from its rooms cluster-wide', async () => {
      const [a, b, c] = await clientsOnEveryNode();
      const room = unique('gone');
      for (const x of [a, b, c]) await joinRoom(x, room);
      expect(await a.request('room:members', { room })).toEqual({ ok: true, room, count: 3 });
      c.close();
      const after = await waitFor(
        () => a.request<{ count: number }>('room:members', { room }),
        (r) => r.ok && r.count === 2,
      );
      expect(after).toEqual({ ok: true, room, count: 2 });
      const id = await send(b, 'still here', room);
      await a.nextMessage((m) => m.id === id);
    });

    modeTests?.(() => cluster);
  });
}
