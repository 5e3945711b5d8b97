/**
 * The backend API (docs/api.md): what the application's own servers send to /api/v1 and what
 * they get back, plus the naming rules it shares with the client protocol (user rooms, reserved
 * names). The service validates with these schemas; clients may import the types.
 */
import { z } from 'zod';
import { isReserved, SYS_PREFIX } from './app';

export const API_PREFIX = '/api/v1';

/**
 * User ids the API can address: JWT `sub` values such as UUIDs, `auth0|123` or e-mail addresses,
 * and guest ids. A socket whose `sub` falls outside still joins its user room, but the API cannot name it.
 */
export const USER_PATTERN = /^[A-Za-z0-9_.:@|+=-]{1,128}$/;

/**
 * The API's error messages say what a value must be, without the field's name: the service puts the name
 * (`rooms[1]`, `event`, `the user in the path`) and the value it got around them (service/src/api/invalid.ts).
 * A wrong type and a missing value are told apart: `event is missing: …` reads better than `event must be a string`.
 */
const typeError =
  (expected: string) =>
  (issue: { input?: unknown }): string =>
    issue.input === undefined ? `is missing: it must be ${expected}` : `must be ${expected}`;
export const userId = z
  .string({ error: typeError('a string (a user id)') })
  .regex(USER_PATTERN, { error: 'must be 1-128 characters of A-Z a-z 0-9 _ . : @ | + = -' });

/** The longest room or event name the API takes. */
export const MAX_NAME_LENGTH = 256;

/** Printable text without control characters: what a Socket.IO app names its rooms and events with ("new message" too). */
const NAME = new RegExp(`^[^\\u0000-\\u001f\\u007f]{1,${MAX_NAME_LENGTH}}$`, 'u');

/** An app's room the API may target or exclude: any name of the app's (the platform's `sys:` rooms are not the API's). */
export const targetRoom = z
  .string({ error: typeError('a string (a room name)') })
  .regex(NAME, { error: `must be 1-${MAX_NAME_LENGTH} characters without control characters` })
  .refine((r) => !isReserved(r), { error: `must not start with ${SYS_PREFIX}: those rooms are the platform's` });

/**
 * Event names Socket.IO reserves, which a client library would not hand to the app: a backend may not publish them,
 * nor the platform's own `sys:` events, so that a client can trust them.
 */
export const SOCKET_IO_RESERVED_EVENTS: ReadonlySet<string> = new Set([
  'connect',
  'connect_error',
  'disconnect',
  'disconnecting',
  'newListener',
  'removeListener',
]);

export const eventName = z
  .string({ error: typeError('a string (the name of the event to emit)') })
  .regex(NAME, { error: `must be 1-${MAX_NAME_LENGTH} characters without control characters` })
  .refine((e) => !SOCKET_IO_RESERVED_EVENTS.has(e) && !isReserved(e), {
    error:
      `is reserved: ${SYS_PREFIX}* events are the platform's, and connect, connect_error, disconnect, disconnecting, ` +
      "newListener and removeListener are Socket.IO's",
  });

/** The most arguments one published event may carry. */
export const MAX_ARGS = 16;

export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;

const list = <T extends z.ZodType>(item: T, what: string) => z.array(item, { error: typeError(`an array of strings (${what})`) });

/**
 * POST /api/v1/publish. Unknown fields are refused, so that a misspelt `room` cannot turn a
 * publish to one room into a publish to everyone. The event carries exactly what the backend gives: `data` as its one
 * argument, or `args` as its list of arguments (neither: no argument), and nothing else.
 */
export const publishRequest = z
  .object(
    {
      event: eventName,
      data: z.unknown().optional(),
      args: z
        .array(z.unknown(), { error: typeError('an array (the arguments of the event, in order)') })
        .max(MAX_ARGS, { error: `may hold at most ${MAX_ARGS} arguments` })
        .optional(),
      rooms: list(targetRoom, 'room names').optional(),
      users: list(userId, 'user ids').optional(),
      except: list(targetRoom, 'room names').optional(),
      exceptUsers: list(userId, 'user ids').optional(),
      idempotencyKey: z
        .string({ error: typeError('a string of 1-128 characters of A-Z a-z 0-9 _ . : -') })
        .regex(IDEMPOTENCY_KEY_PATTERN, { error: 'must be 1-128 characters of A-Z a-z 0-9 _ . : -' })
        .optional(),
    },
    // An unknown field keeps zod's own issue (with its keys): the service answers `unknown field "room": did you mean rooms?`.
    { error: (issue) => (issue.code === 'unrecognized_keys' ? undefined : 'must be a JSON object') },
  )
  .strict()
  .refine((req) => req.data === undefined || req.args === undefined, {
    error: 'cannot go with data: give data or args, not both',
    path: ['args'],
  });
export type PublishRequest = z.infer<typeof publishRequest>;

export type ApiErrorCode =
  | 'invalid_payload'
  | 'payload_too_large'
  | 'rate_limited'
  | 'delivery_budget_exceeded'
  | 'overloaded'
  | 'unavailable'
  | 'internal'
  | 'unauthorized'
  | 'not_found'
  | 'method_not_allowed'
  | 'too_many_targets'
  | 'idempotency_key_reused'
  | 'timeout';

/** The HTTP status of each error the API answers with. */
export const API_ERROR_STATUS: Readonly<Record<ApiErrorCode, number>> = {
  invalid_payload: 400,
  too_many_targets: 400,
  idempotency_key_reused: 400,
  unauthorized: 401,
  not_found: 404,
  method_not_allowed: 405,
  timeout: 408,
  payload_too_large: 413,
  rate_limited: 429,
  delivery_budget_exceeded: 429,
  overloaded: 503,
  unavailable: 503,
  internal: 500,
};

export interface ApiFailure {
  ok: false;
  error: { code: ApiErrorCode; message: string };
}

export interface PublishResponse {
  ok: true;
  id: string;
  /** True when an earlier publish with the same idempotencyKey was delivered and this one was not. */
  duplicate: boolean;
}

/** GET /api/v1/rooms/:room/presence, and an app's `platform.rooms.presence`. */
export interface RoomPresence {
  room: string;
  /** Each user once, however many sockets it has on however many nodes; at most PRESENCE_MAX_USERS, sorted. */
  users: string[];
  /** Sockets in the room across the cluster (every socket counts, not every user). */
  connections: number;
  /** More users are in the room than `users` lists. */
  truncated: boolean;
  /** Some node did not answer within PRESENCE_TIMEOUT_MS: its sockets are missing from the counts. */
  partial: boolean;
}

export interface UserPresence {
  user: string;
  online: boolean;
  connections: number;
  partial: boolean;
}

export interface DisconnectResult {
  user: string;
  /** Sockets disconnected on the nodes that answered. */
  disconnected: number;
  partial: boolean;
}

export type ApiResponse<T extends object> = ({ ok: true } & T) | ApiFailure;
