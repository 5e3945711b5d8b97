import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { LB_COOKIE } from '../../../local/haproxy';
import { type LocalCluster, startLocalCluster } from '../../../local/local-cluster';
import { httpRequest, JWT_ENV, type RawResponse, signToken } from '../../helpers/abuse';
import { closeAllClients, openClient, type TestClient, unique } from '../../helpers/clients';
import { freePorts } from '../../helpers/ports';

const POLLING = '/socket.io/?EIO=4&transport=polling';
/** A sid no node ever gave out (base64id makes 20 characters): what a dead session's requests are answered. */
const DEAD_SID = 'AAAAAAAAAAAAAAAAAAAA';
const STRANGER = '127.0.0.2';

/** A request of the stranger: its outcome, or 'timeout' / the error, never a throw. */
async function attempt(url: string, opts: Parameters<typeof httpRequest>[1]): Promise<RawResponse | string> {
  return httpRequest(url, { localAddress: STRANGER, timeoutMs: 5_000, ...opts }).catch((err: Error) => err.message);
}

/** A WebSocket upgrade from the stranger's address: 'open' (then closed at once), or the HTTP status it was answered. */
function upgrade(url: string, headers: Record<string, string>): Promise<'open' | number | string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url.replace(/^http/, 'ws'), { headers, localAddress: STRANGER });
    const timer = setTimeout(() => {
      ws.terminate();
      resolve('timeout');
    }, 5_000);
    const done = (outcome: 'open' | number | string) => {
      clearTimeout(timer);
      ws.terminate();
      resolve(outcome);
    };
    ws.once('open', () => done('open'));
    ws.once('unexpected-response', (_req, res) => done(res.statusCode ?? 'no status'));
    ws.once('error', (err) => done(err.message));
  });
}

const brief = (r: RawResponse | string) => (typeof r === 'string' ? r : `${r.status} ${r.body.slice(0, 60)}`);

describe('a session id is not a credential: a stranger with only the sid, through HAProxy', () => {
  let cluster: LocalCluster;
  let lb: string;
  beforeAll(async () => {
    const [lbPort, ...ports] = await freePorts(3);
    cluster = await startLocalCluster({ ports, loadBalancerPort: lbPort, env: JWT_ENV });
    lb = cluster.loadBalancer!.url;
  });
  afterEach(() => closeAllClients());
  afterAll(async () => cluster?.stop());

  const chatter = async (sub: string, opts: Parameters<typeof openClient>[1] = {}): Promise<TestClient> =>
    openClient(lb, { auth: { token: await signToken({ sub }) }, ...opts });

  it("refuses the stranger's POST, GET and WebSocket upgrade with 400 and nothing else; the victim's session goes on", async () => {
    const room = unique('bound');
    // The victim stays on long-polling (a proxy that refuses WebSocket), keeping its cookies as a browser does.
    const victim = await chatter('victim', { transports: ['polling'], withCredentials: true });
    // The observer is on WebSocket only, with no cookie at all: a client that never sends a sid after its first request.
    const observer = await chatter('observer');
    await victim.join(room);
    await observer.join(room);
    const sid = victim.socket.io.engine.id;
    const node = victim.session.node;
    const engineUrl = (s: string) => `${lb}${POLLING}&sid=${s}`;
    // All the stranger knows: the sid (from an access log) and which node holds it (the stickiness cookie names it).
    const pinned = { cookie: `${LB_COOKIE}=${node}` };

    const dead = await attempt(engineUrl(DEAD_SID), { headers: pinned });
    const forged = `forged ${room}`;
    const post = await attempt(engineUrl(sid), {
      method: 'POST',
      headers: { ...pinned, 'content-type': 'text/plain;charset=UTF-8' },
      body: `4299${JSON.stringify(['chat:message', { room, text: forged }])}`,
    });
    const get = await attempt(engineUrl(sid), { headers: pinned });
    const ws = await upgrade(`${lb}/socket.io/?EIO=4&transport=websocket&sid=${sid}`, pinned);
    const deadWs = await upgrade(`${lb}/socket.io/?EIO=4&transport=websocket&sid=${DEAD_SID}`, pinned);

    // The victim goes on: the observer's message reaches it, and its own reaches the observer, after anything forged.
    const toVictim = await observer.send(`to victim ${room}`, room);
    await victim.nextMessage((m) => m.id === toVictim);
    const fromVictim = await victim.send(`from victim ${room}`, room);
    await observer.nextMessage((m) => m.id === fromVictim);
    const seenForged = observer.messages.filter((m) => m.text === forged).map((m) => ({ from: m.from, node: m.node }));
    console.log(
      `stranger from ${STRANGER} with the victim's sid: POST ${brief(post)} | GET ${brief(get)} | upgrade ${ws}; ` +
        `a dead sid: ${brief(dead)} / upgrade ${deadWs}; the observer saw the forged message as ${JSON.stringify(seenForged)}; ` +
        `victim sessions ${victim.sessions.length}, sid kept ${victim.socket.io.engine.id === sid}`,
    );

    expect(seenForged).toEqual([]);
    for (const answer of [post, get]) {
      expect(answer).toMatchObject({ status: 400 });
      // Nothing else: the same answer as for a session that does not exist, so it does not even tell the session is alive.
      expect((answer as RawResponse).body).toBe((dead as RawResponse).body);
    }
    expect(ws).toBe(400);
    expect(deadWs).toBe(400);
    expect(victim.socket.io.engine.id).toBe(sid);
    expect(victim.socket.io.engine.transport.name).toBe('polling');
    expect(victim.sessions).toHaveLength(1);
    expect(victim.messages.filter((m) => m.text === forged)).toEqual([]);
  });
});
