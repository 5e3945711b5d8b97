import { describe, expect, it } from 'vitest';
import { type AppClient, useChromium, useExample, openAppClient, openOnAnotherNode, openPagesOnTwoNodes } from './helpers';

/** Chooses a name and resolves with the ack. */
async function addUser(client: AppClient, username: string) {
  return (await client.socket.timeout(10_000).emitWithAck('add user', username)) as { ok: boolean; numUsers?: number; error?: string };
}

const joined = (username: string, numUsers: number) => (e: unknown) => JSON.stringify(e) === JSON.stringify({ username, numUsers });

describe('examples/chat on two nodes behind HAProxy', () => {
  const example = useExample('chat');

  describe('with Node clients', () => {
    it('counts users across nodes, announces joins and leaves, and relays messages and typing to the others only', async () => {
      const alice = await openAppClient(example.cluster.url);
      const bob = await openOnAnotherNode(example.cluster, [alice]);
      expect(bob.session.node).not.toBe(alice.session.node);

      expect(await addUser(alice, 'alice')).toEqual({ ok: true, numUsers: 1 });
      expect(await alice.next('login')).toEqual([{ numUsers: 1 }]);
      expect(await addUser(bob, 'bob')).toEqual({ ok: true, numUsers: 2 });
      // Alice's node learns of Bob, who is on the other one, with the cluster's count.
      await alice.next('user joined', joined('bob', 2));
      // A third user on Alice's node: both others see the count of all three.
      const carol = await openAppClient(example.cluster.nodes.find((n) => n.nodeId === alice.session.node)!.url);
      expect(await addUser(carol, 'carol')).toEqual({ ok: true, numUsers: 3 });
      await Promise.all([alice.next('user joined', joined('carol', 3)), bob.next('user joined', joined('carol', 3))]);

      bob.socket.emit('typing');
      await Promise.all([alice.next('typing'), carol.next('typing')]).then((got) =>
        expect(got).toEqual([[{ username: 'bob' }], [{ username: 'bob' }]]),
      );
      bob.socket.emit('stop typing');
      await Promise.all([alice.next('stop typing'), carol.next('stop typing')]);

      bob.socket.emit('new message', 'hello from bob');
      const message = { username: 'bob', message: 'hello from bob' };
      expect(await alice.next('new message')).toEqual([message]);
      expect(await carol.next('new message')).toEqual([message]);
      // Alice's reply reaches Bob on the other node; senders never get their own messages back.
      alice.socket.emit('new message', 'hi bob');
      expect(await bob.next('new message')).toEqual([{ username: 'alice', message: 'hi bob' }]);
      await carol.next('new message', (m) => (m as { message: string }).message === 'hi bob');
      // Each got the other's message only, and Bob none of his own typing.
      expect([alice.count('new message'), bob.count('new message'), bob.count('typing')]).toEqual([1, 1, 0]);

      bob.socket.disconnect();
      await Promise.all([alice.next('user left', joined('bob', 2)), carol.next('user left', joined('bob', 2))]);
    });

    it('refuses an empty name in the ack, and relays nothing from a socket without a name', async () => {
      const listener = await openAppClient(example.cluster.url);
      expect(await addUser(listener, 'listener')).toMatchObject({ ok: true });
      const nameless = await openOnAnotherNode(example.cluster, [listener]);
      expect(await addUser(nameless, '   ')).toEqual({ ok: false, error: 'a username is 1 to 32 characters' });
      nameless.socket.emit('new message', 'from no one');
      nameless.socket.emit('typing');
      // One socket's events are handled in order: had the two been relayed, they would arrive before this one.
      expect(await addUser(nameless, 'late')).toMatchObject({ ok: true });
      nameless.socket.emit('new message', 'from late');
      await listener.next('new message', (m) => (m as { message: string }).message === 'from late');
      expect(listener.events.filter((e) => e.event === 'new message' || e.event === 'typing').map((e) => e.args)).toEqual([
        [{ username: 'late', message: 'from late' }],
      ]);
    });

    it('serves its page and the Socket.IO browser client beside it', async () => {
      const page = await fetch(example.cluster.url);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(await page.text()).toContain('<script src="/socket.io/socket.io.min.js" defer></script>');
      for (const path of ['/chat.js', '/style.css', '/socket.io/socket.io.min.js'])
        expect((await fetch(`${example.cluster.url}${path}`)).status, path).toBe(200);
      expect((await fetch(`${example.cluster.url}/../package.json`)).status).toBe(404);
    });
  });

  describe('in Chromium', () => {
    const chromium = useChromium();

    it('two pages on two nodes: names, the user count, typing, messages and a leave', async () => {
      const [a, b] = await openPagesOnTwoNodes(chromium.browser, example.cluster.url, chromium.problems);
      await a.page.locator('#status[data-state="connected"]').waitFor();

      for (const [{ page }, name] of [
        [a, 'Ada'],
        [b, 'Brendan'],
      ] as const) {
        await page.fill('#username', name);
        await page.press('#username', 'Enter');
        await page.locator('#chat').waitFor();
        expect(await page.locator('#login').isHidden()).toBe(true);
      }
      await a.page.locator('#messages .log', { hasText: 'Brendan joined' }).waitFor();
      await Promise.all([a.page.locator('#count[data-count="2"]').waitFor(), b.page.locator('#count[data-count="2"]').waitFor()]);

      await b.page.locator('#text').pressSequentially('<b id="injected">hi</b> Ada');
      await a.page.locator('#typing', { hasText: 'Brendan is typing' }).waitFor();
      await b.page.press('#text', 'Enter');
      const got = a.page.locator('#messages .message', { hasText: 'Ada' });
      await got.waitFor();
      expect(await got.locator('.name').textContent()).toBe('Brendan');
      expect(await got.locator('.text').textContent()).toBe('<b id="injected">hi</b> Ada');
      expect(await a.page.locator('#injected').count()).toBe(0);
      await a.page.locator('#typing:empty').waitFor();

      await b.page.context().close();
      await a.page.locator('#messages .log', { hasText: 'Brendan left' }).waitFor();
      await a.page.locator('#count[data-count="1"]').waitFor();
      expect(chromium.problems).toEqual([]);
    });
  });
});
