import type { IncomingMessage } from 'node:http';
import { io as connect } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { LB_COOKIE } from '../../../local/haproxy';
import { type LocalCluster } from '../../../local/local-cluster';
import {
  cookieAttributes,
  isHttps,
  keysIn,
  newKey,
  SESSION_KEY_COOKIE,
  SessionBinding,
  type SessionBindingOptions,
} from '../../../service/src/admission/session-binding';
import type { EngineConn } from '../../../service/src/admission/pre-auth';
import { httpRequest, JWT_ENV, linesWith, type RawResponse, signToken } from '../../helpers/abuse';
import { closeAllClients, openClient, type TestClient, unique } from '../../helpers/clients';
import { startClusterBehindHaproxy } from '../../helpers/cluster';

const POLLING = '/socket.io/?EIO=4&transport=polling';
/** A sid no node ever gave out (base64id makes 20 characters): what a dead session's requests are answered. */
const DEAD_SID = 'AAAAAAAAAAAAAAAAAAAA';
const STRANGER = '127.0.0.2';

/** A request of the stranger: its outcome, or 'timeout' / the error, never a throw. */
async function attempt(url: string, opts: Parameters<typeof httpRequest>[1]): Promise<RawResponse | string> {
  return httpRequest(url, { localAddress: STRANGER, timeoutMs: 5_000, ...opts }).catch((err: Error) => err.message);
}

/** A WebSocket upgrade (from the stranger's address): 'open' (then closed at once), or the HTTP status it was answered. */
function upgrade(url: string, headers: Record<string, string>, localAddress = STRANGER): Promise<'open' | number | string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url.replace(/^http/, 'ws'), { headers, localAddress });
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

const request = (transport: string, headers: Record<string, string> = {}, sid?: string) =>
  ({ headers, socket: {}, _query: { EIO: '4', transport, ...(sid ? { sid } : {}) } }) as unknown as IncomingMessage & {
    _query: Record<string, string>;
  };

describe('SessionBinding: a long-polling session answers only to the client holding its key', () => {
  const refused: string[] = [];
  const sessions = new Map<string, EngineConn>();
  const options = (over: Partial<SessionBindingOptions> = {}): SessionBindingOptions => ({
    crossSite: false,
    trustedProxyHops: 1,
    originAllowed: (req) => req.headers.origin === undefined,
    session: (sid) => sessions.get(sid),
    refused: (reason) => refused.push(reason),
    ...over,
  });
  /** A handshake through the binding: the session's conn, and the Set-Cookie its answer carried. */
  const handshake = (binding: SessionBinding, sid: string, transport = 'polling', cookie?: string) => {
    const req = request(transport, cookie ? { cookie } : {});
    const headers: Record<string, string | string[] | undefined> = {};
    const conn = { request: req, transport: { name: transport } } as unknown as EngineConn & { transport: { name: string } };
    binding.opened(conn);
    binding.initialHeaders(headers, req);
    sessions.set(sid, conn);
    return headers['Set-Cookie'] as string[] | undefined;
  };
  /** The sid engine.io goes on with after the middleware: the same, or one no session has. */
  const through = (binding: SessionBinding, req: ReturnType<typeof request>) => {
    binding.middleware(req, undefined, () => undefined);
    return req._query.sid;
  };

  it('issues a key on a long-polling handshake, HttpOnly, SameSite=Lax, for /socket.io/ only; none over WebSocket', () => {
    const binding = new SessionBinding(options());
    const [set] = handshake(binding, 'p1')!;
    expect(set).toMatch(/^io_key=[A-Za-z0-9_-]{43}; Path=\/socket\.io\/; HttpOnly; SameSite=Lax$/);
    expect(handshake(binding, 'w1', 'websocket')).toBeUndefined();
  });

  it('keeps the key a client brings (a second tab), and accepts each of its sessions with it', () => {
    const binding = new SessionBinding(options());
    const key = handshake(binding, 'tab1')![0].split(';')[0];
    expect(handshake(binding, 'tab2', 'polling', `other=1; ${key}`)).toBeUndefined();
    for (const sid of ['tab1', 'tab2']) expect(through(binding, request('polling', { cookie: key }, sid))).toBe(sid);
    expect(through(binding, request('websocket', { cookie: key }, 'tab2'))).toBe('tab2');
  });

  it.each([
    ['no cookie', { cookie: '' }, 'no_key'],
    ['another key', { cookie: `${SESSION_KEY_COOKIE}=${newKey()}` }, 'wrong_key'],
    ['a malformed key', { cookie: `${SESSION_KEY_COOKIE}=short` }, 'no_key'],
    ['the right key from a foreign page', { origin: 'https://evil.example' }, 'foreign_origin'],
    ['the right key on a no-cors request (an image)', { 'sec-fetch-mode': 'no-cors' }, 'not_a_client_request'],
  ])('answers a request with %s as for an unknown session, and says why', (_name, headers: Record<string, string>, reason) => {
    refused.length = 0;
    const binding = new SessionBinding(options());
    const key = handshake(binding, 's1')![0].split(';')[0];
    const cookie = headers.cookie ?? key;
    const sid = through(binding, request('polling', { ...headers, cookie }, 's1'));
    expect(sid).not.toBe('s1');
    expect(sessions.has(sid)).toBe(false);
    expect(refused).toEqual([reason]);
  });

  it('refuses every request naming a session opened over WebSocket (its client never names it again); unknown sids go on', () => {
    refused.length = 0;
    const binding = new SessionBinding(options());
    handshake(binding, 'ws1', 'websocket');
    expect(through(binding, request('websocket', { cookie: `${SESSION_KEY_COOKIE}=${newKey()}` }, 'ws1'))).not.toBe('ws1');
    expect(through(binding, request('polling', {}, 'gone'))).toBe('gone');
    expect(through(binding, request('polling'))).toBeUndefined();
    expect(refused).toEqual(['not_bound']);
  });

  it('with cross-origin clients over HTTPS, sets the key SameSite=None; Secure, as the ALB sets AWSALBCORS', () => {
    const binding = new SessionBinding(options({ crossSite: true }));
    const req = request('polling', { 'x-forwarded-proto': 'https' });
    const headers: Record<string, string | string[] | undefined> = { 'Set-Cookie': 'other=1' };
    binding.initialHeaders(headers, req);
    expect(headers['Set-Cookie']).toEqual(['other=1', expect.stringMatching(/; Path=\/socket\.io\/; HttpOnly; Secure; SameSite=None$/)]);
    expect(cookieAttributes(false)).toBe('Path=/socket.io/; HttpOnly; SameSite=Lax');
  });

  it.each([
    ['the ALB said https', 1, { 'x-forwarded-proto': 'https' }, true],
    ['the ALB said http', 1, { 'x-forwarded-proto': 'http' }, false],
    ['a client-written entry left of the trusted one', 1, { 'x-forwarded-proto': 'https, http' }, false],
    ['no proxy trusted', 0, { 'x-forwarded-proto': 'https' }, false],
    ['no header', 1, {}, false],
  ])('isHttps: %s', (_name, hops, headers: Record<string, string>, expected) => {
    expect(isHttps({ headers, socket: {} } as IncomingMessage, hops)).toBe(expected);
  });

  it('keysIn: every well-formed key among the cookies, nothing else', () => {
    const [a, b] = [newKey(), newKey()];
    expect(keysIn(`x=1; ${SESSION_KEY_COOKIE}=${a};${SESSION_KEY_COOKIE}=bad; ${SESSION_KEY_COOKIE}=${b}; io_keyx=${a}`)).toEqual([a, b]);
    expect(keysIn(undefined)).toEqual([]);
  });
});

describe('a session id is not a credential: a stranger with only the sid, through HAProxy', () => {
  let cluster: LocalCluster;
  let lb: string;
  beforeAll(async () => {
    cluster = await startClusterBehindHaproxy({ env: JWT_ENV });
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
    // Two polls at once: whichever finds the session's own poll pending (or the other) is an overlap, which engine.io
    // answers by closing the session.
    const gets = await Promise.all([0, 1].map(() => attempt(engineUrl(sid), { headers: pinned })));
    const ws = await upgrade(`${lb}/socket.io/?EIO=4&transport=websocket&sid=${sid}`, pinned);
    const deadWs = await upgrade(`${lb}/socket.io/?EIO=4&transport=websocket&sid=${DEAD_SID}`, pinned);

    // The victim goes on: the observer's message reaches it, and its own reaches the observer, after anything forged.
    // (Outcomes, not throws: a failure shows the whole picture first.)
    const toVictim = await observer.send(`to victim ${room}`, room);
    const received = await victim
      .nextMessage((m) => m.id === toVictim)
      .then(
        () => 'received',
        (err: Error) => err.message,
      );
    const sent = await victim
      .send(`from victim ${room}`, room)
      .then((id) => observer.nextMessage((m) => m.id === id))
      .then(
        () => 'sent',
        (err: Error) => err.message,
      );
    const seenForged = observer.messages.filter((m) => m.text === forged).map((m) => ({ from: m.from, node: m.node }));
    console.log(
      `stranger from ${STRANGER} with the victim's sid: POST ${brief(post)} | GETs ${gets.map(brief).join(' / ')} | upgrade ${ws}; ` +
        `a dead sid: ${brief(dead)} / upgrade ${deadWs}; the observer saw the forged message as ${JSON.stringify(seenForged)}; ` +
        `victim sessions ${victim.sessions.length}, sid kept ${victim.socket.io.engine.id === sid}, then ${received} / ${sent}`,
    );
    expect([received, sent]).toEqual(['received', 'sent']);

    expect(seenForged).toEqual([]);
    for (const answer of [post, ...gets]) {
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
    // Each refusal is logged (sampled) with why and the stranger's address, never with the sid.
    const holder = cluster.nodes.find((n) => n.nodeId === node)!;
    await expect
      .poll(() => linesWith(holder.logs, 'session request refused').map((l) => `${String(l.reason)} ${String(l.ip)}`))
      .toEqual(Array(4).fill(`no_key ${STRANGER}`));
    expect(JSON.stringify(holder.logs)).not.toContain(sid);
  });

  it("refuses a page elsewhere that makes the victim's browser use its session (its cookies, a foreign Origin or no CORS)", async () => {
    const room = unique('page');
    const victim = await chatter('victim', { transports: ['polling'], withCredentials: true });
    const observer = await chatter('observer');
    await victim.join(room);
    await observer.join(room);
    const sid = victim.socket.io.engine.id;
    // Everything the victim's browser would send along: the stickiness cookie and the session key (a cookie jar's copy).
    const jar = (victim.socket.io.engine as unknown as { _cookieJar: { cookies: Iterable<[string, { value: string }]> } })._cookieJar;
    const cookie = [...jar.cookies].map(([name, c]) => `${name}=${c.value}`).join('; ');
    const url = `${lb}${POLLING}&sid=${sid}`;
    const forged = `forged ${room}`;
    // From the victim's own address. A form posted from evil.example: the browser sends its Origin. An <img> at a poll: no-cors.
    const victimAddress = '127.0.0.1';
    const post = await attempt(url, {
      localAddress: victimAddress,
      method: 'POST',
      headers: { cookie, origin: 'https://evil.example', 'content-type': 'text/plain', 'sec-fetch-mode': 'navigate' },
      body: `42${JSON.stringify(['chat:message', { room, text: forged }])}`,
    });
    const postCors = await attempt(url, {
      localAddress: victimAddress,
      method: 'POST',
      headers: { cookie, origin: 'https://evil.example', 'content-type': 'text/plain', 'sec-fetch-mode': 'cors' },
      body: `42${JSON.stringify(['chat:message', { room, text: forged }])}`,
    });
    const image = await attempt(url, {
      localAddress: victimAddress,
      headers: { cookie, 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'image' },
    });
    const ws = await upgrade(
      `${lb}/socket.io/?EIO=4&transport=websocket&sid=${sid}`,
      { cookie, origin: 'https://evil.example' },
      victimAddress,
    );

    const fromVictim = await victim.send(`from victim ${room}`, room);
    await observer.nextMessage((m) => m.id === fromVictim);
    console.log(`a page elsewhere: form POST ${brief(post)} | cors POST ${brief(postCors)} | image GET ${brief(image)} | upgrade ${ws}`);
    expect([post, postCors, image].map((r) => (typeof r === 'string' ? r : r.status))).toEqual([400, 400, 400]);
    expect(ws).toBe(400);
    expect(observer.messages.filter((m) => m.text === forged)).toEqual([]);
    expect(victim.socket.io.engine.id).toBe(sid);
    expect(victim.sessions).toHaveLength(1);
    // Refused for where they came from, not for a missing key: the browser's cookies were all there.
    expect(cookie).toContain(`${SESSION_KEY_COOKIE}=`);
    const holder = cluster.nodes.find((n) => n.nodeId === victim.session.node)!;
    await expect
      .poll(() =>
        linesWith(holder.logs, 'session request refused')
          .filter((l) => l.reason !== 'no_key')
          .map((l) => l.reason),
      )
      .toEqual(['not_a_client_request', 'foreign_origin', 'not_a_client_request', 'foreign_origin']);
  });

  it('a polling client that keeps no cookies (Node without withCredentials) never gets a session, even from one node', async () => {
    const node = cluster.nodes[0];
    const auth = { token: await signToken({ sub: 'forgetful' }) };
    const socket = connect(node.url, { transports: ['polling'], withCredentials: false, reconnection: false, forceNew: true, auth });
    try {
      const outcome = await new Promise<string>((resolve) => {
        socket.once('sys:session', () => resolve('session'));
        socket.once('connect_error', (err) => resolve(`connect_error: ${err.message}`));
      });
      expect(outcome).toBe('connect_error: xhr post error');
    } finally {
      socket.disconnect();
    }
    // With its cookies kept, the same client connects.
    await openClient(node.url, { transports: ['polling'], withCredentials: true, auth: { token: await signToken({ sub: 'keeper' }) } });
  });
});
