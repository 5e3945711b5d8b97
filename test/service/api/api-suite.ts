import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { userRoom } from '../../../contract/app';
import type { AdapterMode } from '../../../contract/env';
import { answersTo, badRequests, expectedAnswers } from './bad-input';
import {
  apiCall,
  apiCallRetrying,
  type ApiCluster,
  closeUserSockets,
  expectDelivery,
  KEY_A,
  KEY_B,
  openSpread,
  openUserSocket,
  publish,
  published,
  startApiCluster,
  tagged,
  unique,
  type UserSocket,
  withId,
} from './helpers';

/** Further tests of one mode, on the same running cluster, before the destructive ones. */
export type ApiModeTests = (cluster: () => ApiCluster) => void;

const PRESENCE_BOUND_MS = 1_000;
/** What a presence answer may take past its bound: the HTTP round trip and counting the nodes on a loaded machine. */
const SLACK_MS = 1_500;

interface Cast {
  alice: UserSocket[];
  bob: UserSocket;
  carol: UserSocket;
  all: UserSocket[];
}

/**
 * The backend API against three real nodes in one adapter mode behind HAProxy: alice on three
 * sockets, one on each node; bob and carol on one each.
 */
export function apiSuite(mode: AdapterMode, modeTests?: ApiModeTests): void {
  describe(`backend API: ${mode}, 3 nodes behind HAProxy`, () => {
    let c: ApiCluster;
    let lb: string;
    beforeAll(async () => {
      c = await startApiCluster(mode);
      lb = c.lbUrl;
    });
    afterEach(() => closeUserSockets());
    afterAll(async () => c?.stop());

    async function cast(): Promise<Cast> {
      const alice = await openSpread(lb, unique('alice'), 3);
      const bob = await openUserSocket(lb, unique('bob'));
      const carol = await openUserSocket(lb, unique('carol'));
      return { alice, bob, carol, all: [...alice, bob, carol] };
    }
    const join = async (room: string, sockets: UserSocket[]) => {
      for (const s of sockets) expect(await s.request('room:join', { room })).toEqual({ ok: true, room });
    };

    it('publishes to a user: every socket of that user once, on every node, and no one else', async () => {
      const { alice, bob, carol } = await cast();
      await expectDelivery(
        lb,
        () => published(lb, { event: 'test:note', data: { n: 1 }, users: [alice[0].user] }),
        alice,
        [bob, carol],
        'test:note',
      );
    });

    it("delivers exactly the backend's arguments: data as the one argument, args as the list, neither as none", async () => {
      const { alice } = await cast();
      const tag = unique('exact');
      const users = [alice[0].user];
      const answers = [
        await publish(lb, { event: 'test:data', data: { n: 1, tag }, users }),
        await publish(lb, { event: 'new message', args: [tag, 2, { three: 3 }], users }),
        await publish(lb, { event: 'test:none', users }),
      ];
      // The id goes back to the backend only.
      for (const a of answers) expect(a).toMatchObject({ status: 200, body: { ok: true, id: expect.any(String), duplicate: false } });
      // Under ADAPTER=streams, Socket.IO's connection state recovery appends every broadcast's stream offset as a last
      // argument (docs/reliability.md), which its client keeps to resume from: the backend's arguments come first, unchanged.
      const offset = mode === 'streams' ? [expect.stringMatching(/^\d+-\d+$/)] : [];
      for (const s of alice) {
        expect(await s.next('test:data')).toEqual([{ n: 1, tag }, ...offset]);
        expect(await s.next('new message')).toEqual([tag, 2, { three: 3 }, ...offset]);
        expect(await s.next('test:none')).toEqual([...offset]);
      }
    });

    it('delivers one publish the same on every node: a __proto__ key anywhere in data or args is refused, naming it', async () => {
      const { alice } = await cast();
      const users = [alice[0].user];
      // Names that are only names to JSON and to the adapters' msgpack alike reach every node as sent.
      const names = { constructor: 1, prototype: { toString: 'x' }, hasOwnProperty: [1], valueOf: null };
      const id = await published(lb, { event: 'test:names', data: names, users });
      for (const s of alice) expect((await s.next('test:names', withId(id)))[0]).toEqual(names);
      // JSON.parse makes __proto__ an ordinary key; the other nodes' msgpack decoding would make it a prototype (or throw).
      const accepting = c.cluster.nodes[0];
      const cases: Array<[string, string]> = [
        ['{"event":"test:proto","users":USERS,"data":{"a":{"__proto__":{"x":1},"y":2}}}', 'data.a.__proto__'],
        ['{"event":"test:proto","users":USERS,"args":[1,{"b":[{"__proto__":5}]}]}', 'args[1].b[0].__proto__'],
      ];
      const answers = [];
      for (const [raw] of cases)
        answers.push(await apiCall(accepting.url, 'POST', '/api/v1/publish', { raw: raw.replace('USERS', JSON.stringify(users)) }));
      const barrier = await published(lb, { event: 'test:barrier', users });
      const got = Object.fromEntries(
        await Promise.all(
          alice.map(async (s) => {
            await s.next('test:barrier', withId(barrier));
            return [s.session.node, s.received.filter((r) => r.event === 'test:proto').map((r) => JSON.stringify(r.args))];
          }),
        ),
      );
      console.log(
        `${mode}: __proto__ publishes answered ${answers.map((a) => a.status)} on ${accepting.nodeId}; delivered ${JSON.stringify(got)}`,
      );
      answers.forEach((a, i) =>
        expect(a).toMatchObject({
          status: 400,
          body: {
            ok: false,
            error: { code: 'invalid_payload', message: expect.stringContaining(`${cases[i][1]} is a key named __proto__`) },
          },
        }),
      );
      expect(Object.values(got).flat()).toEqual([]);
    });

    it('publishes to a room except a user, and counts a socket in several targets once', async () => {
      const { alice, bob, carol } = await cast();
      const room = unique('room');
      await join(room, [...alice, bob]);
      await expectDelivery(
        lb,
        () => published(lb, { event: 'test:room', data: 'r', rooms: [room], exceptUsers: [bob.user] }),
        alice,
        [bob, carol],
        'test:room',
      );
      await expectDelivery(
        lb,
        () => published(lb, { event: 'test:union', data: 'u', rooms: [room], users: [alice[0].user] }),
        [...alice, bob],
        [carol],
        'test:union',
      );
    });

    it('publishes to everyone without rooms or users, each socket once', async () => {
      const { all } = await cast();
      await expectDelivery(lb, () => published(lb, { event: 'test:all', data: [1, 2] }), all, [], 'test:all');
    });

    it('delivers a retried publish with one idempotencyKey once, even when two nodes receive it at the same time', async () => {
      const { alice, bob } = await cast();
      const { body, tag } = tagged({ event: 'test:idem', data: 1, users: [alice[0].user], idempotencyKey: unique('idem') });
      const answers = await Promise.all(c.cluster.nodes.map((n) => apiCall(n.url, 'POST', '/api/v1/publish', { body })));
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
      expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
      expect(answers.filter((a) => a.body.duplicate === false)).toHaveLength(1);
      await expectDelivery(lb, async () => tag, alice, [bob], 'test:idem');
      const reused = await apiCall(lb, 'POST', '/api/v1/publish', { body: { ...body, args: [2] } });
      expect(reused).toMatchObject({ status: 400, body: { ok: false, error: { code: 'idempotency_key_reused' } } });
    });

    it('answers presence once per user across nodes, capped, and the same over the socket', async () => {
      const { alice, bob, carol } = await cast();
      const room = unique('presence');
      await join(room, [...alice, bob]);
      const expected = { ok: true, room, users: [alice[0].user, bob.user].sort(), connections: 4, truncated: false, partial: false };
      for (const node of c.cluster.nodes) {
        expect((await apiCall(node.url, 'GET', `/api/v1/rooms/${room}/presence`)).body).toEqual(expected);
      }
      expect(await bob.request('room:presence', { room })).toEqual(expected);
      expect(await carol.request('room:presence', { room })).toMatchObject({ ok: false, error: { code: 'not_in_room' } });
      expect(await bob.request('room:presence', { room: userRoom(alice[0].user) })).toMatchObject({
        ok: false,
        error: { code: 'forbidden' },
      });

      expect((await apiCall(lb, 'GET', `/api/v1/users/${alice[0].user}/presence`)).body).toEqual({
        ok: true,
        user: alice[0].user,
        online: true,
        connections: 3,
        partial: false,
      });
      expect((await apiCall(lb, 'GET', `/api/v1/users/${unique('nobody')}/presence`)).body).toMatchObject({
        online: false,
        connections: 0,
      });

      // PRESENCE_MAX_USERS is 3 here.
      const dave = await openUserSocket(lb, unique('dave'));
      await join(room, [carol, dave]);
      const capped = (await apiCall(lb, 'GET', `/api/v1/rooms/${room}/presence`)).body;
      expect(capped).toMatchObject({ ok: true, connections: 6, truncated: true, partial: false });
      expect(capped.users).toHaveLength(3);
    });

    it('disconnects every socket of a user on every node, and no one else', async () => {
      const { alice, bob, carol } = await cast();
      const answer = await apiCall(lb, 'POST', `/api/v1/users/${alice[0].user}/disconnect`);
      expect(answer).toMatchObject({ status: 200, body: { ok: true, user: alice[0].user, disconnected: 3, partial: false } });
      expect(await Promise.all(alice.map((s) => s.disconnected))).toEqual([
        'io server disconnect',
        'io server disconnect',
        'io server disconnect',
      ]);
      expect((await apiCall(lb, 'GET', `/api/v1/users/${alice[0].user}/presence`)).body).toMatchObject({ online: false, connections: 0 });
      await expectDelivery(lb, () => published(lb, { event: 'test:after', users: [bob.user, carol.user] }), [bob, carol], [], 'test:after');
    });

    it('refuses bad input with its status and an error body, and delivers nothing of it', async () => {
      const { alice, bob, carol } = await cast();
      const room = unique('bad');
      await join(room, [...alice, bob, carol]);
      const bads = badRequests(room, alice[0].user, 100, 65_536);
      expect(await answersTo(lb, bads)).toEqual(expectedAnswers(bads));
      const barrier = await published(lb, { event: 'test:barrier', rooms: [room] });
      for (const s of [...alice, bob, carol]) {
        await s.next('test:barrier', withId(barrier));
        expect(s.received.filter((r) => r.event !== 'sys:session' && r.event !== 'test:barrier')).toEqual([]);
      }
    });

    modeTests?.(() => c);

    it('answers presence within its bound, partial, while a node is frozen (SIGSTOP), and completely again after', async () => {
      const { alice, bob } = await cast();
      const room = unique('frozen');
      await join(room, [...alice, bob]);
      const frozen = c.cluster.nodes.find((n) => n.nodeId !== bob.session.node)!;
      const asked = c.cluster.nodes.find((n) => n !== frozen)!;
      frozen.child.kill('SIGSTOP');
      try {
        const started = performance.now();
        const answer = await apiCall(asked.url, 'GET', `/api/v1/rooms/${room}/presence`);
        const ms = performance.now() - started;
        expect(answer.body).toMatchObject({ ok: true, partial: true, connections: 3, users: [alice[0].user, bob.user].sort() });
        expect(ms).toBeGreaterThanOrEqual(PRESENCE_BOUND_MS * 0.9);
        expect(ms).toBeLessThan(PRESENCE_BOUND_MS + SLACK_MS);
      } finally {
        frozen.child.kill('SIGCONT');
      }
      expect((await apiCall(asked.url, 'GET', `/api/v1/rooms/${room}/presence`)).body).toMatchObject({ partial: false, connections: 4 });
    });

    it('answers presence within its bound while a node is SIGKILLed, without the dead node’s sockets', async () => {
      const { alice, bob } = await cast();
      const room = unique('killed');
      await join(room, [...alice, bob]);
      const victim = c.cluster.nodes.find((n) => n.nodeId !== bob.session.node)!;
      const asked = c.cluster.nodes.find((n) => n !== victim)!;
      victim.child.kill('SIGKILL');
      await victim.exited();
      const started = performance.now();
      const answer = await apiCall(asked.url, 'GET', `/api/v1/rooms/${room}/presence`);
      expect(performance.now() - started).toBeLessThan(PRESENCE_BOUND_MS + SLACK_MS);
      // The dead node's alice socket is gone; the adapter may still count the node (streams: until its heartbeat times out).
      expect(answer.body).toMatchObject({ ok: true, connections: 3, users: [alice[0].user, bob.user].sort() });
    });

    it('takes both keys while one is rotated out, and refuses a removed key after a restart', async () => {
      const index = c.cluster.nodes.findIndex((n) => n.child.exitCode === null && n.child.signalCode === null);
      for (const key of [KEY_A, KEY_B]) {
        expect((await apiCall(c.cluster.nodes[index].url, 'GET', '/api/v1/users/x/presence', { key })).status).toBe(200);
      }
      const node = await c.restartNode(index, { API_KEYS: KEY_B });
      expect(node.logs.some((l) => l.msg === 'backend API enabled at /api/v1/' && l.keys === 1)).toBe(true);
      // Retried on 503 as a backend would: once under a loaded CI the restarted node's first answer was `unavailable`.
      expect((await apiCallRetrying(node.url, 'GET', '/api/v1/users/x/presence', { key: KEY_B })).status).toBe(200);
      expect((await apiCall(node.url, 'GET', '/api/v1/users/x/presence', { key: KEY_A })).body).toMatchObject({
        ok: false,
        error: { code: 'unauthorized' },
      });
      expect(JSON.stringify(node.logs)).not.toContain(KEY_B);
    });
  });
}
