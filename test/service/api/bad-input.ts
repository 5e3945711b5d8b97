import { KEY_A } from './helpers';

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
}

const P = '/api/v1/publish';
const ok = { event: 'test:bad', data: { n: 1 } };

/** The bad input, each with the status and code it must get. `room` and `user` are live targets, to show nothing reaches them. */
export function badRequests(room: string, user: string, maxTargets: number, maxBodyBytes: number): BadRequest[] {
  const many = Array.from({ length: maxTargets + 1 }, (_, i) => `r${i}`);
  return [
    { name: 'no key', method: 'POST', path: P, key: null, body: { ...ok, rooms: [room] }, status: 401, code: 'unauthorized' },
    {
      name: 'a wrong key',
      method: 'POST',
      path: P,
      key: `x${KEY_A.slice(1)}`,
      body: { ...ok, rooms: [room] },
      status: 401,
      code: 'unauthorized',
    },
    {
      name: 'a key in the wrong scheme',
      method: 'POST',
      path: P,
      key: null,
      headers: { authorization: `Basic ${KEY_A}` },
      body: ok,
      status: 401,
      code: 'unauthorized',
    },
    { name: 'JSON that does not parse', method: 'POST', path: P, raw: '{"event":"test:bad",', status: 400, code: 'invalid_payload' },
    { name: 'an empty body', method: 'POST', path: P, raw: '', status: 400, code: 'invalid_payload' },
    { name: 'an array body', method: 'POST', path: P, body: [ok], status: 400, code: 'invalid_payload' },
    { name: 'a string body', method: 'POST', path: P, body: 'test:bad', status: 400, code: 'invalid_payload' },
    { name: 'a null body', method: 'POST', path: P, raw: 'null', status: 400, code: 'invalid_payload' },
    { name: 'a missing event', method: 'POST', path: P, body: { data: 1, rooms: [room] }, status: 400, code: 'invalid_payload' },
    {
      name: 'the platform event sys:session',
      method: 'POST',
      path: P,
      body: { event: 'sys:session', users: [user] },
      status: 400,
      code: 'invalid_payload',
    },
    {
      name: "Socket.IO's reserved connect_error",
      method: 'POST',
      path: P,
      body: { event: 'connect_error', rooms: [room], data: { message: 'forged' } },
      status: 400,
      code: 'invalid_payload',
    },
    {
      name: 'the reserved event disconnect',
      method: 'POST',
      path: P,
      body: { event: 'disconnect', rooms: [room] },
      status: 400,
      code: 'invalid_payload',
    },
    { name: 'a sys: event', method: 'POST', path: P, body: { event: 'sys:query', rooms: [room] }, status: 400, code: 'invalid_payload' },
    {
      name: 'an event name with a control character',
      method: 'POST',
      path: P,
      body: { event: 'new\nmessage', rooms: [room] },
      status: 400,
      code: 'invalid_payload',
    },
    { name: 'a numeric event', method: 'POST', path: P, body: { event: 42, rooms: [room] }, status: 400, code: 'invalid_payload' },
    {
      name: 'an event name over 256 characters',
      method: 'POST',
      path: P,
      body: { event: 'e'.repeat(257), rooms: [room] },
      status: 400,
      code: 'invalid_payload',
    },
    {
      name: 'a sys: room',
      method: 'POST',
      path: P,
      body: { ...ok, rooms: [room, `sys:user:${user}`] },
      status: 400,
      code: 'invalid_payload',
    },
    {
      name: 'a sys: except',
      method: 'POST',
      path: P,
      body: { ...ok, rooms: [room], except: ['sys:x'] },
      status: 400,
      code: 'invalid_payload',
    },
    { name: 'a room with a tab', method: 'POST', path: P, body: { ...ok, rooms: [room, 'a\tb'] }, status: 400, code: 'invalid_payload' },
    { name: 'rooms not an array', method: 'POST', path: P, body: { ...ok, rooms: room }, status: 400, code: 'invalid_payload' },
    { name: 'a bad user name', method: 'POST', path: P, body: { ...ok, users: [user, 'a b'] }, status: 400, code: 'invalid_payload' },
    {
      name: 'a bad exceptUsers entry',
      method: 'POST',
      path: P,
      body: { ...ok, rooms: [room], exceptUsers: ['a b'] },
      status: 400,
      code: 'invalid_payload',
    },
    {
      name: 'data and args together',
      method: 'POST',
      path: P,
      body: { ...ok, rooms: [room], args: [1] },
      status: 400,
      code: 'invalid_payload',
    },
    {
      name: 'args not an array',
      method: 'POST',
      path: P,
      body: { event: ok.event, rooms: [room], args: 1 },
      status: 400,
      code: 'invalid_payload',
    },
    {
      name: 'more than 16 args',
      method: 'POST',
      path: P,
      body: { event: ok.event, rooms: [room], args: Array.from({ length: 17 }, (_, i) => i) },
      status: 400,
      code: 'invalid_payload',
    },
    {
      name: 'a bad except entry',
      method: 'POST',
      path: P,
      body: { ...ok, rooms: [room], except: [''] },
      status: 400,
      code: 'invalid_payload',
    },
    { name: 'a misspelt field (room)', method: 'POST', path: P, body: { ...ok, room: [room] }, status: 400, code: 'invalid_payload' },
    { name: 'empty rooms and users', method: 'POST', path: P, body: { ...ok, rooms: [], users: [] }, status: 400, code: 'invalid_payload' },
    {
      name: 'a bad idempotencyKey',
      method: 'POST',
      path: P,
      body: { ...ok, users: [user], idempotencyKey: 'a b' },
      status: 400,
      code: 'invalid_payload',
    },
    { name: 'too many targets', method: 'POST', path: P, body: { ...ok, rooms: [room, ...many] }, status: 400, code: 'too_many_targets' },
    {
      name: 'data nested too deep',
      method: 'POST',
      path: P,
      raw: `{"event":"test:bad","rooms":[${JSON.stringify(room)}],"data":${'['.repeat(40)}${']'.repeat(40)}}`,
      status: 400,
      code: 'invalid_payload',
    },
    {
      name: 'an oversized body',
      method: 'POST',
      path: P,
      body: { ...ok, rooms: [room], data: 'x'.repeat(maxBodyBytes) },
      status: 413,
      code: 'payload_too_large',
    },
    { name: 'a bad user in the path', method: 'POST', path: '/api/v1/users/a%20b/disconnect', status: 400, code: 'invalid_payload' },
    { name: 'broken percent-encoding', method: 'GET', path: '/api/v1/rooms/%E0%A4%A/presence', status: 400, code: 'invalid_payload' },
    {
      name: 'a bad room in the path',
      method: 'GET',
      path: `/api/v1/rooms/${'r'.repeat(257)}/presence`,
      status: 400,
      code: 'invalid_payload',
    },
    {
      name: 'a sys: room in the path',
      method: 'GET',
      path: `/api/v1/rooms/sys%3Auser%3A${user}/presence`,
      status: 400,
      code: 'invalid_payload',
    },
    { name: 'an unknown endpoint', method: 'GET', path: '/api/v1/nothing', status: 404, code: 'not_found' },
    { name: 'outside /api/v1', method: 'GET', path: '/api/v2/publish', status: 404, code: 'not_found' },
    { name: 'the wrong method', method: 'GET', path: P, status: 405, code: 'method_not_allowed' },
  ];
}
