import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { getJson } from '../helpers/clients';
import { waitFor } from '../../tools/processes';
import { type AppClient, useChromium, useExample, nodeOf, openAppClient, openOnAnotherNode, openPagesOnTwoNodes } from './helpers';

/** What the app's own `session` event carries. */
interface Session {
  sessionID: string;
  userID: string;
  username: string;
}

interface Message {
  id: string;
  from: string;
  to: string;
  content: string;
}

const sessionOf = async (client: AppClient) => (await client.next('session'))[0] as Session;

async function send(client: AppClient, to: string, content: string): Promise<Message> {
  const ack = (await client.socket.timeout(10_000).emitWithAck('private message', { to, content })) as { ok: boolean; message: Message };
  expect(ack).toMatchObject({ ok: true, message: { to, content } });
  return ack.message;
}

describe('examples/private-messaging on two nodes behind HAProxy, sessions and messages in Redis', () => {
  const example = useExample('private-messaging');
  const nodeUrl = (nodeId: string) => example.cluster.nodes.find((n) => n.nodeId === nodeId)!.url;
  const otherNode = (nodeId: string) => example.cluster.nodes.find((n) => n.nodeId !== nodeId)!;

  const title =
    "gives each user a session in the app's own `session` event, reaches every socket of a user on any node, " +
    'and restores the session and its history on another node';
  it(title, async () => {
    const alice = await openAppClient(example.cluster.url, { auth: { username: 'alice' } });
    const aliceSession = await sessionOf(alice);
    expect(aliceSession).toEqual({ sessionID: expect.stringMatching(/^[0-9a-f]{32}$/), userID: expect.any(String), username: 'alice' });
    const bob = await openOnAnotherNode(example.cluster, [alice], { auth: { username: 'bob' } });
    const bobSession = await sessionOf(bob);
    expect(bob.session.node).not.toBe(alice.session.node);
    // Bob's list comes from Redis and the cluster's sockets: Alice, on the other node, is connected.
    const [users] = (await bob.next('users')) as [Array<{ userID: string; connected: boolean }>];
    expect(users).toContainEqual({ userID: aliceSession.userID, username: 'alice', connected: true });
    await alice.next('user connected', (u) => (u as Session).userID === bobSession.userID);

    // A second tab of Alice, with her session id, on Bob's node.
    const aliceTab = await openAppClient(nodeUrl(bob.session.node), { auth: { sessionID: aliceSession.sessionID } });
    expect(await sessionOf(aliceTab)).toEqual(aliceSession);

    const toAlice = await send(bob, aliceSession.userID, 'hello alice');
    const same = (m: Message) => (got: unknown) => (got as Message).id === m.id;
    await Promise.all([alice.next('private message', same(toAlice)), aliceTab.next('private message', same(toAlice))]);
    const toBob = await send(alice, bobSession.userID, 'hi bob');
    // Bob, and Alice's other tab on the other node; never the sending socket.
    await Promise.all([bob.next('private message', same(toBob)), aliceTab.next('private message', same(toBob))]);
    expect([alice.count('private message'), bob.count('private message')]).toEqual([1, 1]);

    // Each client got one `session`, the app's: the platform's own is `sys:session`.
    for (const [c, session] of [
      [alice, aliceSession],
      [bob, bobSession],
      [aliceTab, aliceSession],
    ] as const)
      expect(c.events.filter((e) => e.event === 'session').map((e) => e.args)).toEqual([[session]]);

    // Her session restored on the other node; then her tabs close one by one, and only the last makes her gone for Bob.
    // The app counts a user's sockets across the nodes when one of them disconnects, so each close waits until its node
    // has seen it: a count still under way when her next socket left was once answered none, on a loaded machine.
    const restored = await openAppClient(nodeUrl(otherNode(alice.session.node).nodeId), { auth: { sessionID: aliceSession.sessionID } });
    expect(restored.session.node).not.toBe(alice.session.node);
    const connectionsOn = async (nodeId: string) => (await getJson(`${nodeUrl(nodeId)}/healthz`)).body.connections as number;
    const closeAndWait = async (client: AppClient) => {
      const { node } = client.session;
      const before = await connectionsOn(node);
      client.socket.disconnect();
      await waitFor(
        () => connectionsOn(node),
        (n) => n < before,
      );
    };
    await closeAndWait(aliceTab);
    await closeAndWait(alice);
    expect(await sessionOf(restored)).toEqual(aliceSession);
    const history = (await restored.socket.timeout(10_000).emitWithAck('history', bobSession.userID)) as {
      ok: boolean;
      messages: Message[];
    };
    expect(history).toEqual({ ok: true, messages: [expect.objectContaining(toAlice), expect.objectContaining(toBob)] });
    restored.socket.disconnect();
    expect(await bob.next('user disconnected')).toEqual([{ userID: aliceSession.userID }]);
    // Only the last of her three sockets made her gone: each of the two before it was counted while another was connected.
    expect(bob.count('user disconnected')).toBe(1);
  });

  it('refuses a connection without a name or a known session, and a message to no one, in one line each', async () => {
    const refused = openAppClient(example.cluster.url, { auth: { sessionID: 'f'.repeat(32) }, reconnection: false });
    await expect(refused).rejects.toThrow(/connect_error .*: invalid username$/);
    const carol = await openAppClient(example.cluster.url, { auth: { username: 'carol' } });
    await sessionOf(carol);
    const ack = await carol.socket.timeout(10_000).emitWithAck('private message', { to: 'nobody', content: 'hi' });
    expect(ack).toEqual({ ok: false, error: 'no user nobody' });
  });

  describe('in Chromium', () => {
    const chromium = useChromium();

    let people = 0;
    /** Signs in with a new name, as a first visit does. */
    const signIn = async (page: Page) => {
      await page.fill('#username', `person-${++people}`);
      await page.press('#username', 'Enter');
    };
    const entry = (page: Page, name: string) => page.locator('#users li', { hasText: name });

    it('a message between pages on two nodes, then a reload on the other node restores the session and the history', async () => {
      const [ada, bea] = await openPagesOnTwoNodes(chromium.browser, example.cluster.url, chromium.problems, { start: signIn });
      const [adaName, beaName] = await Promise.all([ada, bea].map(({ page }) => page.locator('#me').textContent()));

      await entry(ada.page, beaName!).and(ada.page.locator('[data-connected="true"]')).click();
      await ada.page.fill('#text', 'hello <i id="injected">bea</i>');
      await ada.page.press('#text', 'Enter');
      await ada.page.locator('#messages li.mine', { hasText: 'hello' }).waitFor();
      await entry(bea.page, adaName!).locator('.unread', { hasText: '(1)' }).waitFor();

      // A reload without the sticky cookie, until another node answers: the session id in localStorage brings Bea back.
      let node = bea.node;
      for (let i = 0; i < 5 && node === bea.node; i++) {
        await bea.page.context().clearCookies();
        await bea.page.reload();
        node = await nodeOf(bea.page);
      }
      expect(node).not.toBe(bea.node);
      await bea.page.locator('#me', { hasText: beaName! }).waitFor();
      expect(await bea.page.locator('#login').isHidden()).toBe(true);
      await entry(bea.page, adaName!).click();
      const got = bea.page.locator('#messages li.theirs');
      await got.waitFor();
      expect(await got.textContent()).toBe('hello <i id="injected">bea</i>');
      expect(await bea.page.locator('#injected').count()).toBe(0);
      expect(chromium.problems).toEqual([]);
    });
  });
});
