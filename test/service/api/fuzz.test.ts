import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  API_ENV,
  apiCall,
  closeUserSockets,
  KEY_A,
  openUserSocket,
  published,
  type ServiceNode,
  startServiceNode,
  unique,
  type UserSocket,
  withId,
} from './helpers';
import { int, mulberry32, pick, randomSeed, type Rng } from '../../../tools/rng';

const SEED = Number(process.env.FUZZ_SEED ?? randomSeed());
const REQUESTS = Number(process.env.API_FUZZ_REQUESTS ?? 12_000);
const MAX_BODY = 4_096;
const MAX_TARGETS = 20;
const CONCURRENCY = 8;

const junk = (r: Rng, n: number) => Array.from({ length: n }, () => String.fromCharCode(int(r, 0, 0x2ff))).join('');
/** A user id or idempotency key that breaks its pattern for sure: a forbidden character, or too long. */
const badId = (r: Rng) =>
  pick(r, [
    () => `${junk(r, int(r, 0, 5))}${pick(r, [' ', '/', '#', '\u00e9', '"', '\n', '*', '?', '%'])}${junk(r, int(r, 0, 5))}`,
    () => 'a'.repeat(int(r, 129, 300)),
    () => '',
  ])();
/** A room or event name the API refuses for sure: a control character, too long, empty, or the platform's `sys:`. */
const badAppName = (r: Rng) =>
  pick(r, [
    () => `${junk(r, int(r, 0, 5))}${pick(r, ['\n', '\u0000', '\u001f', '\u007f', '\t'])}${junk(r, int(r, 0, 5))}`,
    () => 'a'.repeat(int(r, 257, 400)),
    () => '',
    () => `sys:${junk(r, int(r, 0, 5))}`,
  ])();

interface Case {
  kind: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** The status it must get. */
  status: number;
}

/** One malformed request, with the status the API must answer. `room` and `user` are live, to show nothing of it is delivered. */
function malformed(r: Rng, room: string, user: string): Case {
  const auth = { authorization: `Bearer ${KEY_A}` };
  const post = (kind: string, body: string, status = 400): Case => ({
    kind,
    method: 'POST',
    path: '/api/v1/publish',
    headers: auth,
    body,
    status,
  });
  const valid = { event: 'fuzz:event', data: { n: int(r, 0, 9) }, rooms: [room] };
  const json = (o: unknown) => JSON.stringify(o);
  const cases: Array<() => Case> = [
    () => ({ ...post('no key', json(valid), 401), headers: {} }),
    () => ({
      ...post('wrong key', json(valid), 401),
      headers: { authorization: `Bearer ${junk(r, int(r, 1, 60)).replace(/[^\x21-\x7e]/g, 'x')}` },
    }),
    () => ({
      ...post('wrong scheme', json(valid), 401),
      headers: { authorization: `${pick(r, ['Basic', 'Token', 'bearer:', ''])} ${KEY_A}` },
    }),
    () => post('not JSON', `{${junk(r, int(r, 0, 200))}`),
    () => post('not an object', json(pick(r, [null, true, 42, 'x', [], [valid], -0.5]))),
    () => post('no event', json({ ...valid, event: undefined })),
    () => post('event not a string', json({ ...valid, event: pick(r, [1, null, [], {}, true]) })),
    () =>
      post(
        'reserved event',
        json({
          ...valid,
          event: pick(r, ['sys:session', 'sys:disconnect', 'sys:x', 'disconnect', 'connect', 'connect_error', 'newListener']),
        }),
      ),
    () => post('bad event', json({ ...valid, event: badAppName(r) })),
    () => post('bad room', json({ ...valid, rooms: [room, badAppName(r)] })),
    () => post('rooms not a list', json({ ...valid, rooms: pick(r, [room, 1, {}, null]) })),
    () => post('bad user', json({ ...valid, users: [user, badId(r)] })),
    () => post('bad except', json({ ...valid, except: [pick(r, [badAppName(r), 7, null])] })),
    () => post('bad exceptUsers', json({ ...valid, exceptUsers: [pick(r, [badId(r), 7, null])] })),
    () => post('data and args', json({ ...valid, args: [int(r, 0, 9)] })),
    () => post('args not a list', json({ event: valid.event, rooms: [room], args: pick(r, [1, 'x', {}, null]) })),
    () => post('too many args', json({ event: valid.event, rooms: [room], args: Array.from({ length: int(r, 17, 40) }, () => 0) })),
    () => post('unknown field', json({ ...valid, [pick(r, ['room', 'user', 'to', 'Event', '__proto__x'])]: [room] })),
    () => post('empty targets', json({ ...valid, rooms: [], users: [] })),
    () => post('too many targets', json({ ...valid, rooms: Array.from({ length: MAX_TARGETS + int(r, 1, 30) }, (_, i) => `t${i}`) })),
    () => {
      const depth = int(r, 33, 300);
      return post('too deep', `{"event":"fuzz:event","rooms":${json([room])},"data":${'['.repeat(depth)}${']'.repeat(depth)}}`);
    },
    () => post('bad idempotencyKey', json({ ...valid, idempotencyKey: pick(r, [badId(r), 5, '']) })),
    () => ({ ...post('oversized', json({ ...valid, data: 'x'.repeat(MAX_BODY + int(r, 1, 2_000)) }), 413) }),
    () => ({
      kind: 'unknown path',
      method: pick(r, ['GET', 'POST']),
      path: `/api/v1/${pick(r, ['x', 'publish/x', 'rooms', 'users/a', 'rooms/a/b/presence'])}`,
      headers: auth,
      status: 404,
    }),
    () => ({
      kind: 'wrong method',
      method: pick(r, ['GET', 'PUT', 'DELETE', 'PATCH']),
      path: '/api/v1/publish',
      headers: auth,
      status: 405,
    }),
    () => ({
      kind: 'bad room path',
      method: 'GET',
      path: `/api/v1/rooms/${encodeURIComponent(badAppName(r)) || '%00'}/presence`,
      headers: auth,
      status: 400,
    }),
    () => ({
      kind: 'bad user path',
      method: 'POST',
      path: `/api/v1/users/${encodeURIComponent(badId(r)) || '%20'}/disconnect`,
      headers: auth,
      status: 400,
    }),
    () => ({
      kind: 'bad encoding',
      method: 'GET',
      path: `/api/v1/users/${pick(r, ['%', '%E0%A4%A', '%zz', '%C0'])}/presence`,
      headers: auth,
      status: 400,
    }),
  ];
  return pick(r, cases)();
}

function send(agent: http.Agent, port: number, c: Case): Promise<{ status: number | 'closed'; body: string }> {
  return new Promise((resolve) => {
    const headers: Record<string, string | number> = { ...c.headers };
    if (c.body !== undefined) headers['content-length'] = Buffer.byteLength(c.body);
    const req = http.request({ host: '127.0.0.1', port, method: c.method, path: c.path, headers, agent, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', () => resolve({ status: 'closed', body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err) => resolve({ status: /timeout/.test(err.message) ? 0 : 'closed', body: err.message }));
    req.end(c.body);
  });
}

describe(`fuzz: ${REQUESTS} malformed backend API requests at one node (seed ${SEED})`, () => {
  let node: ServiceNode;
  let target: UserSocket;
  beforeAll(async () => {
    node = await startServiceNode({
      env: {
        ...API_ENV,
        REDIS_URL: '',
        API_MAX_BODY_BYTES: String(MAX_BODY),
        API_MAX_TARGETS: String(MAX_TARGETS),
        API_RATE_LIMIT_PER_KEY: '1000000',
        API_RATE_LIMIT_PER_KEY_BURST: '1000000',
      },
    });
  });
  afterAll(async () => {
    closeUserSockets();
    await node?.stop();
  });

  it('answers each with its status and an error body, delivers none of them, and keeps serving', async () => {
    console.log(`api fuzz seed ${SEED} (rerun with FUZZ_SEED=${SEED})`);
    target = await openUserSocket(node.url, unique('target'));
    const room = unique('fuzz');
    expect(await target.request('room:join', { room })).toEqual({ ok: true, room });
    const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const byKind: Record<string, Record<string, number>> = {};
    const wrong: Array<{ kind: string; expected: number; got: number | 'closed'; body: string }> = [];
    let planned = 0;
    const started = Date.now();
    const lane = async (i: number) => {
      const r = mulberry32(SEED + i);
      while (planned < REQUESTS && Date.now() - started < 90_000) {
        planned++;
        const c = malformed(r, room, target.user);
        const got = await send(agent, node.port, c);
        (byKind[c.kind] ??= {})[String(got.status)] = (byKind[c.kind]?.[String(got.status)] ?? 0) + 1;
        // An oversized upload may be cut off mid-body: the connection closing is its answer too.
        const acceptable = got.status === c.status || (c.status === 413 && got.status === 'closed');
        let shaped = got.status === 'closed';
        try {
          const parsed = JSON.parse(got.body) as { ok?: unknown; error?: { code?: unknown; message?: unknown } };
          shaped = parsed.ok === false && typeof parsed.error?.code === 'string' && typeof parsed.error?.message === 'string';
        } catch {
          // not JSON: counted below
        }
        if ((!acceptable || !shaped) && wrong.length < 20)
          wrong.push({ kind: c.kind, expected: c.status, got: got.status, body: got.body.slice(0, 200) });
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, (_, i) => lane(i)));
    agent.destroy();
    const ms = Date.now() - started;
    console.log(`api fuzz report ${JSON.stringify({ seed: SEED, requests: planned, ms, byKind })}`);

    expect(wrong).toEqual([]);
    expect(planned).toBeGreaterThanOrEqual(10_000);
    expect(node.child.exitCode).toBeNull();
    const barrier = await published(node.url, { event: 'test:barrier', rooms: [room] });
    await target.next('test:barrier', withId(barrier));
    expect(target.received.map((x) => x.event)).toEqual(['sys:session', 'test:barrier']);
    expect((await apiCall(node.url, 'GET', `/api/v1/rooms/${room}/presence`)).body).toMatchObject({ ok: true, connections: 1 });
    expect(node.logs.filter((l) => l.msg === 'api request failed' || l.msg === 'unhandled rejection')).toEqual([]);
  }, 120_000);
});
