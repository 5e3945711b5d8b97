import { expect } from 'vitest';
import { apiCall, KEY_A } from './helpers';

export interface BadRequest {
  readonly name: string;
  readonly method: string;
  readonly path: string;
  /** null: no Authorization header; undefined: KEY_A. */
  readonly key?: string | null;
  readonly headers?: Record<string, string>;
  readonly raw?: string;
  readonly body?: unknown;
  readonly status: number;
  readonly code: string;
  /** What the message must say: the field it names and what was expected. */
  readonly message: RegExp;
}

/** The answer `bad` must get, for toEqual; `name` rides along so that a failure says which request it was. */
const expectedAnswer = (bad: BadRequest) => ({
  name: bad.name,
  status: bad.status,
  body: { ok: false, error: { code: bad.code, message: expect.stringMatching(bad.message) } },
});

/** Sends each request to the API at `base`, one at a time; the answers, in the shape expectedAnswer describes. */
export async function answersTo(base: string, bads: readonly BadRequest[]) {
  const answers = [];
  for (const bad of bads) {
    const answer = await apiCall(base, bad.method, bad.path, { key: bad.key, body: bad.body, raw: bad.raw, headers: bad.headers });
    answers.push({ name: bad.name, status: answer.status, body: answer.body });
  }
  return answers;
}

/** What answersTo must give for `bads`: every mismatch shows at once. */
export const expectedAnswers = (bads: readonly BadRequest[]) => bads.map(expectedAnswer);

const P = '/api/v1/publish';
const ok = { event: 'test:bad', data: { n: 1 } };

/** The bad input, each with the status and code it must get. `room` and `user` are live targets, to show nothing reaches them. */
export function badRequests(room: string, user: string, maxTargets: number, maxBodyBytes: number): BadRequest[] {
  const many = Array.from({ length: maxTargets + 1 }, (_, i) => `r${i}`);
  const unauthorized = { status: 401, code: 'unauthorized' };
  const invalid = { method: 'POST', path: P, status: 400, code: 'invalid_payload' };
  const NAME_RULE = /must be 1-256 characters without control characters/;
  return [
    {
      ...unauthorized,
      name: 'no key',
      method: 'POST',
      path: P,
      key: null,
      body: { ...ok, rooms: [room] },
      message: /^the Authorization header is missing: send Authorization: Bearer <key> with a key from API_KEYS$/,
    },
    {
      ...unauthorized,
      name: 'a wrong key',
      method: 'POST',
      path: P,
      key: `x${KEY_A.slice(1)}`,
      body: { ...ok, rooms: [room] },
      message: /^the key in the Authorization header is not one of API_KEYS: send/,
    },
    {
      ...unauthorized,
      name: 'a key in the wrong scheme',
      method: 'POST',
      path: P,
      key: null,
      headers: { authorization: `Basic ${KEY_A}` },
      body: ok,
      message: /^the Authorization header must be "Bearer <key>"/,
    },
    {
      ...invalid,
      name: 'JSON that does not parse',
      raw: '{"event":"test:bad",',
      message: /^the body is not valid JSON \(.+\): send a JSON object such as \{"event":/,
    },
    { ...invalid, name: 'an empty body', raw: '', message: /^the body is empty: send a JSON object such as \{"event":/ },
    { ...invalid, name: 'an array body', body: [ok], message: /^the body must be a JSON object such as .*, got an array$/ },
    { ...invalid, name: 'a string body', body: 'test:bad', message: /^the body must be a JSON object such as .*, got "test:bad"$/ },
    { ...invalid, name: 'a null body', raw: 'null', message: /^the body must be a JSON object such as .*, got null$/ },
    {
      ...invalid,
      name: 'a missing event',
      body: { data: 1, rooms: [room] },
      message: /^event is missing: it must be a string \(the name of the event to emit\)$/,
    },
    {
      ...invalid,
      name: 'the platform event sys:session',
      body: { event: 'sys:session', users: [user] },
      message: /^event is reserved: .*, got "sys:session"$/,
    },
    {
      ...invalid,
      name: "Socket.IO's reserved connect_error",
      body: { event: 'connect_error', rooms: [room], data: { message: 'forged' } },
      message: /^event is reserved: .*, got "connect_error"$/,
    },
    {
      ...invalid,
      name: 'the reserved event disconnect',
      body: { event: 'disconnect', rooms: [room] },
      message: /^event is reserved: .*, got "disconnect"$/,
    },
    { ...invalid, name: 'a sys: event', body: { event: 'sys:query', rooms: [room] }, message: /^event is reserved: .*, got "sys:query"$/ },
    {
      ...invalid,
      name: 'an event name with a control character',
      body: { event: 'new\nmessage', rooms: [room] },
      message: new RegExp(`^event ${NAME_RULE.source}, got "new\\\\nmessage"$`),
    },
    {
      ...invalid,
      name: 'an event name longer than 256',
      body: { event: 'e'.repeat(257), rooms: [room] },
      message: new RegExp(`^event ${NAME_RULE.source}, got "e{40}…"$`),
    },
    {
      ...invalid,
      name: 'data and args together',
      body: { ...ok, args: [1], rooms: [room] },
      message: /^args cannot go with data: give data or args, not both/,
    },
    {
      ...invalid,
      name: 'args not an array',
      body: { event: 'test:bad', args: 'x', rooms: [room] },
      message: /^args must be an array \(the arguments of the event, in order\), got "x"$/,
    },
    {
      ...invalid,
      name: '17 args',
      body: { event: 'test:bad', args: Array(17).fill(0), rooms: [room] },
      message: /^args may hold at most 16 arguments/,
    },
    {
      ...invalid,
      name: 'a platform room',
      body: { ...ok, rooms: [room, `sys:user:${user}`] },
      message: new RegExp(`^rooms\\[1\\] must not start with sys:: those rooms are the platform's, got "sys:user:${user}"$`),
    },
    {
      ...invalid,
      name: 'a numeric event',
      body: { event: 42, rooms: [room] },
      message: /^event must be a string \(the name of the event to emit\), got 42$/,
    },
    {
      ...invalid,
      name: 'a bad room name',
      body: { ...ok, rooms: [room, 'no\u0000nul'] },
      message: new RegExp(`^rooms\\[1\\] ${NAME_RULE.source}, got "no\\\\u0000nul"$`),
    },
    {
      ...invalid,
      name: 'rooms not an array',
      body: { ...ok, rooms: room },
      message: new RegExp(`^rooms must be an array of strings \\(room names\\), got "${room}"$`),
    },
    {
      ...invalid,
      name: 'a room that is not a string',
      body: { ...ok, rooms: [room, 7] },
      message: /^rooms\[1\] must be a string \(a room name\), got 7$/,
    },
    {
      ...invalid,
      name: 'a bad user name',
      body: { ...ok, users: [user, 'a b'] },
      message: /^users\[1\] must be 1-128 characters of .*, got "a b"$/,
    },
    {
      ...invalid,
      name: 'users an object',
      body: { ...ok, users: { user } },
      message: /^users must be an array of strings \(user ids\), got an object$/,
    },
    {
      ...invalid,
      name: 'a bad except entry',
      body: { ...ok, rooms: [room], except: [''] },
      message: new RegExp(`^except\\[0\\] ${NAME_RULE.source}, got ""$`),
    },
    { ...invalid, name: 'a misspelt field (room)', body: { ...ok, room: [room] }, message: /^unknown field "room": did you mean rooms\?$/ },
    {
      ...invalid,
      name: 'a misspelt field (Users)',
      body: { ...ok, Users: [user] },
      message: /^unknown field "Users": did you mean users\?$/,
    },
    {
      ...invalid,
      name: 'an unknown field',
      body: { ...ok, rooms: [room], to: [user] },
      message: /^unknown field "to": the fields are event, data, args, rooms, users, except, exceptUsers, idempotencyKey$/,
    },
    {
      ...invalid,
      name: 'a misspelt event',
      body: { evnt: 'test:bad', rooms: [room] },
      message: /^unknown field "evnt": did you mean event\?; event is missing/,
    },
    {
      ...invalid,
      name: 'empty rooms and users',
      body: { ...ok, rooms: [], users: [] },
      message: /^rooms and users are empty: omit both to publish to everyone$/,
    },
    {
      ...invalid,
      name: 'a bad idempotencyKey',
      body: { ...ok, users: [user], idempotencyKey: 'a b' },
      message: /^idempotencyKey must be 1-128 characters of .*, got "a b"$/,
    },
    {
      ...invalid,
      name: 'a numeric idempotencyKey',
      body: { ...ok, users: [user], idempotencyKey: 5 },
      message: /^idempotencyKey must be a string of 1-128 characters .*, got 5$/,
    },
    {
      name: 'too many targets',
      method: 'POST',
      path: P,
      body: { ...ok, rooms: [room, ...many] },
      status: 400,
      code: 'too_many_targets',
      message: new RegExp(`^rooms, users, except and exceptUsers name ${maxTargets + 2} targets together, the limit is ${maxTargets}$`),
    },
    {
      ...invalid,
      name: 'data nested too deep',
      raw: `{"event":"test:bad","rooms":[${JSON.stringify(room)}],"data":${'['.repeat(40)}${']'.repeat(40)}}`,
      message: /^data is nested too deep: the body may nest 32 levels, counting itself$/,
    },
    {
      name: 'an oversized body',
      method: 'POST',
      path: P,
      body: { ...ok, rooms: [room], data: 'x'.repeat(maxBodyBytes) },
      status: 413,
      code: 'payload_too_large',
      message: new RegExp(`^the body is larger than API_MAX_BODY_BYTES \\(${maxBodyBytes} bytes\\)$`),
    },
    {
      ...invalid,
      name: 'a bad user in the path',
      path: '/api/v1/users/a%20b/disconnect',
      message: /^the user in the path must be 1-128 characters of .*, got "a b"$/,
    },
    {
      ...invalid,
      name: 'broken percent-encoding',
      method: 'GET',
      path: '/api/v1/rooms/%E0%A4%A/presence',
      message: /^the path \/api\/v1\/rooms\/%E0%A4%A\/presence is not valid percent-encoding/,
    },
    {
      ...invalid,
      name: 'a bad room in the path',
      method: 'GET',
      path: `/api/v1/rooms/${'r'.repeat(257)}/presence`,
      message: /^the room in the path must be 1-256 characters without control characters, got "r{40}…"$/,
    },
    {
      name: 'an unknown endpoint',
      method: 'GET',
      path: '/api/v1/nothing',
      status: 404,
      code: 'not_found',
      message:
        /^no such endpoint \/api\/v1\/nothing: the endpoints are POST \/api\/v1\/publish, POST \/api\/v1\/users\/:user\/disconnect, GET/,
    },
    {
      name: 'outside /api/v1',
      method: 'GET',
      path: '/api/v2/publish',
      status: 404,
      code: 'not_found',
      message: /^no such endpoint \/api\/v2\/publish: the endpoints are POST \/api\/v1\/publish/,
    },
    {
      name: 'the wrong method',
      method: 'GET',
      path: P,
      status: 405,
      code: 'method_not_allowed',
      message: /^GET is not allowed on \/api\/v1\/publish: use POST$/,
    },
  ];
}
