import type { Socket } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SERVICE_METRICS } from '../../contract/metrics';
import { type LocalCluster } from '../../local/local-cluster';
import { JWT_ENV, signToken } from '../helpers/abuse';
import { getJson, waitFor } from '../helpers/clients';
import { type Received, publishingTo, startFakeCloudWatch } from '../helpers/fake-cloudwatch';
import { apiCall, KEY_A } from '../service/api/helpers';
import { type AppClient, closeAppClients, openAppClient } from './helpers';
import { startClusterBehindHaproxy } from '../helpers/cluster';

/**
 * What the suite needs to know of an app: how a client joins its audience, says something to it, and hears it. Everything
 * else (auth, limits, health, metrics, the API, presence, Redis failover) is the platform's and the same for every app.
 */
export interface AppDriver {
  /** The app's folder, as `npm start -- --app` takes it. */
  readonly app: string;
  /** The room the app keeps the clients who entered in (what the API's presence reads). */
  readonly audienceRoom: string;
  /** Makes the client a member of the audience; resolves once the app has it there. */
  enter(client: AppClient, user: string): Promise<void>;
  /** Sends `text` to the audience, as the app's page does (the sender may not hear its own). */
  say(socket: Socket, text: string): void;
  /** The event a listener receives when `text` was said. */
  readonly heard: { readonly event: string; matches(args: unknown[], text: string): boolean };
  /** An event a client sends often and cheaply, with no ack, that the app relays to the audience (the flood). */
  readonly chatter: { readonly event: string; readonly args: unknown[] };
}

const FLOOD = 400;

/**
 * The platform's behaviour under an app that is not the demo chat: three nodes behind HAProxy with JWT auth, an API key
 * and metrics sent to a local CloudWatch stand-in. The drain of such an app is test/examples/stop-task.test.ts.
 */
export function platformSuite(driver: AppDriver): void {
  describe(`the platform under ${driver.app}: three JWT nodes behind HAProxy`, () => {
    let cluster: LocalCluster;
    let cloudwatch: Awaited<ReturnType<typeof startFakeCloudWatch>>;
    let counter = 0;
    beforeAll(async () => {
      cloudwatch = await startFakeCloudWatch();
      cluster = await startClusterBehindHaproxy({
        nodes: 3,
        app: driver.app,
        env: { ...JWT_ENV, API_KEYS: KEY_A, ...publishingTo(cloudwatch.url), METRICS_SERVICE_NAME: 'platform-suite' },
      });
    }, 120_000);
    afterEach(() => closeAppClients());
    afterAll(async () => {
      closeAppClients();
      await cluster?.stop();
      await cloudwatch?.close();
    });

    const token = (user: string) => signToken({ sub: user });
    /** A client of `user` on node `i` (direct, so that the test knows where each one is), in the audience. */
    const member = async (i: number, user = `user-${++counter}`) => {
      const client = await openAppClient(cluster.nodes[i].url, { auth: { token: await token(user) } });
      await driver.enter(client, user);
      return client;
    };
    const heardBy = (client: AppClient, text: string, timeoutMs?: number) =>
      client.next(driver.heard.event, (...args) => driver.heard.matches(args, text), timeoutMs);
    const timesHeard = (client: AppClient, text: string) =>
      client.events.filter((e) => e.event === driver.heard.event && driver.heard.matches(e.args, text)).length;
    /** What every node published of one metric since `from`, summed. */
    const metricSum = (name: string, from: number) =>
      cloudwatch.received
        .slice(from)
        .flatMap((r: Received) => r.body.MetricData)
        .filter((d) => d.MetricName === name)
        .reduce((sum, d) => sum + d.Value, 0);

    it('refuses a client without a token, and names the token’s user in sys:session', async () => {
      await expect(openAppClient(cluster.url, { reconnection: false })).rejects.toThrow('unauthorized');
      const client = await openAppClient(cluster.url, { auth: { token: await token('ann') } });
      expect(client.session).toMatchObject({ user: 'ann' });
    });

    it("delivers the app's broadcasts from each node to members on every other node, exactly once", async () => {
      const members = [await member(0), await member(1), await member(2)];
      for (const [i, sender] of members.entries()) {
        const text = `from node ${i + 1}`;
        driver.say(sender.socket, text);
        const barrier = `after ${text}`;
        driver.say(sender.socket, barrier);
        for (const listener of members.filter((m) => m !== sender)) {
          await heardBy(listener, barrier);
          expect(timesHeard(listener, text), `${text}, heard on ${listener.session.node}`).toBe(1);
        }
      }
    });

    it("shows the app's room in the API's presence across nodes, and publishes to one user with exactly the backend's data", async () => {
      const users = ['pres-a', 'pres-b', 'pres-c'];
      const members = await Promise.all(users.map((user, i) => member(i, user)));
      const presence = await waitFor(
        () => apiCall(cluster.url, 'GET', `/api/v1/rooms/${encodeURIComponent(driver.audienceRoom)}/presence`),
        (r) => users.every((u) => ((r.body as { users?: string[] }).users ?? []).includes(u)),
      );
      expect(presence.body).toMatchObject({ ok: true, room: driver.audienceRoom });
      const event = 'from the backend';
      const got = members[2].next(event);
      const answer = await apiCall(cluster.url, 'POST', '/api/v1/publish', { body: { event, users: ['pres-c'], data: { n: 1 } } });
      expect(answer).toMatchObject({ status: 200, body: { ok: true } });
      expect(await got).toEqual([{ n: 1 }]);
      expect(members[0].events.some((e) => e.event === event)).toBe(false);
    });

    it(`drops a flood of ${FLOOD} events past the per-socket limit, counts each in EventsRateLimited, keeps the socket`, async () => {
      const from = cloudwatch.received.length;
      const [flooder, listener] = [await member(0), await member(1)];
      for (let i = 0; i < FLOOD; i++) flooder.socket.emit(driver.chatter.event, ...driver.chatter.args);
      // The bucket refills at its rate: a barrier said a little later gets through, and everything relayed before it is in.
      // The barriers said before it were refused too, and counted.
      let barriers = 0;
      await waitFor(
        async () => {
          const text = `barrier ${++barriers}`;
          driver.say(flooder.socket, text);
          return heardBy(listener, text, 1_000).then(
            () => true,
            () => false,
          );
        },
        (heard) => heard,
      );
      const relayed = listener.events.filter((e) => e.event === driver.chatter.event).length;
      expect(relayed).toBeGreaterThan(0);
      expect(relayed).toBeLessThan(FLOOD);
      const refused = FLOOD - relayed;
      const counted = () => metricSum(SERVICE_METRICS.eventsRateLimited.name, from);
      await expect.poll(counted, { timeout: 15_000 }).toBeGreaterThanOrEqual(refused);
      expect(counted()).toBeLessThanOrEqual(refused + barriers - 1);
      expect(flooder.socket.connected).toBe(true);
    });

    it('reports health on every node and through the load balancer, and publishes the connections autoscaling reads', async () => {
      const from = cloudwatch.received.length;
      // Node 3 holds four sockets, more than any other node in this test: a datapoint of 4 can only be its.
      await Promise.all([member(2), member(2), member(2), member(2)]);
      for (const url of [cluster.url, ...cluster.nodes.map((n) => n.url)]) {
        expect((await getJson(`${url}/healthz`)).status, url).toBe(200);
        expect((await getJson(`${url}/readyz`)).status, url).toBe(200);
      }
      await expect
        .poll(
          () =>
            cloudwatch.received
              .slice(from)
              .flatMap((r) => r.body.MetricData)
              .some((d) => d.MetricName === SERVICE_METRICS.connectedClients.name && d.Value === 4),
          { timeout: 15_000 },
        )
        .toBe(true);
    });

    it("survives a Redis restart: every node resubscribes and the app's broadcasts cross nodes again", async () => {
      const members = [await member(0), await member(1), await member(2)];
      const redisStates = () => Promise.all(cluster.nodes.map(async (n) => (await getJson(`${n.url}/healthz`)).body.redis));
      await cluster.redis!.stop();
      await waitFor(redisStates, (s) => s.every((x) => x === 'reconnecting'));
      for (const n of cluster.nodes) expect((await getJson(`${n.url}/readyz`)).status).toBe(200);
      await cluster.redis!.start();
      await waitFor(redisStates, (s) => s.every((x) => x === 'ready'));
      for (const [i, sender] of members.entries()) {
        const text = `after the restart, from node ${i + 1}`;
        driver.say(sender.socket, text);
        for (const listener of members.filter((m) => m !== sender)) await heardBy(listener, text);
      }
      expect(members.every((m) => m.socket.connected)).toBe(true);
      for (const n of cluster.nodes) expect(n.child.exitCode).toBeNull();
    });
  });
}
