/**
 * The backend API (docs/api.md): what the application's own servers send to /api/v1 and what
 * they get back, plus the naming rules it shares with the client protocol (user rooms, reserved
 * names). The service validates with these schemas; clients may import the types.
 */
import { z } from 'zod';
import { type ErrorCode, EVENTS, ROOM_PATTERN } from './events';

export const API_PREFIX = '/api/v1';

/** Room-name prefixes the server owns: `room:join`, `room:leave`, `room:members` and `chat:message` refuse them (`forbidden`). */
export const RESERVED_ROOM_PREFIXES = ['user:', 'sys:'] as const;
export const USER_ROOM_PREFIX = 'user:';

/** The room every socket of one user joins at the handshake. */
export const userRoom = (user: string) => `${USER_ROOM_PREFIX}${user}`;
export const isReservedRoom = (room: string) => RESERVED_ROOM_PREFIXES.some((p) => room.startsWith(p));

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

/** A room the API may target or exclude: a room name, or a user room `user:<user>` (whose user part may be longer). */
export const targetRoom = z
  .string({ error: typeError('a string (a room name)') })
  .refine((r) => ROOM_PATTERN.test(r) || (r.startsWith(USER_ROOM_PREFIX) && USER_PATTERN.test(r.slice(USER_ROOM_PREFIX.length))), {
    error: 'must be 1-64 characters of A-Z a-z 0-9 _ . : - (or user:<user>)',
  });

/**
 * Event names the server emits itself, or that Socket.IO reserves: a backend may not publish them,
 * so a client can trust a `session` or a `chat:message` (whose `from` the server vouches for).
 */
export const RESERVED_EVENTS: ReadonlySet<string> = new Set([
  ...Object.values(EVENTS),
  'connect',
  'connect_error',
  'disconnect',
  'disconnecting',
  'newListener',
  'removeListener',
]);
export const RESERVED_EVENT_PREFIXES = ['sys:'] as const;

export const eventName = z
  .string({ error: typeError('a string (the name of the event to emit)') })
  .regex(ROOM_PATTERN, { error: 'must be 1-64 characters of A-Z a-z 0-9 _ . : -' })
  .refine((e) => !RESERVED_EVENTS.has(e) && !RESERVED_EVENT_PREFIXES.some((p) => e.startsWith(p)), {
    error: 'is reserved: the server emits it itself (session, chat:message, room:*, sys:*, connect, disconnect …)',
  });

export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;

const list = <T extends z.ZodType>(item: T, what: string) => z.array(item, { error: typeError(`an array of strings (${what})`) });

/**
 * POST /api/v1/publish. Unknown fields are refused, so that a misspelt `room` cannot turn a
 * publish to one room into a publish to everyone.
 */
export const publishRequest = z
  .object(
    {
      event: eventName,
      data: z.unknown().optional(),
      rooms: list(targetRoom, 'room names').optional(),
      users: list(userId, 'user ids').optional(),
      except: list(targetRoom, 'room names or user:<user>').optional(),
      idempotencyKey: z
        .string({ error: typeError('a string of 1-128 characters of A-Z a-z 0-9 _ . : -') })
        .regex(IDEMPOTENCY_KEY_PATTERN, { error: 'must be 1-128 characters of A-Z a-z 0-9 _ . : -' })
        .optional(),
    },
    // An unknown field keeps zod's own issue (with its keys): the service answers `unknown field "room": did you mean rooms?`.
    { error: (issue) => (issue.code === 'unrecognized_keys' ? undefined : 'must be a JSON object') },
  )
  .strict();
export type PublishRequest = z.infer<typeof publishRequest>;

/** The second argument of every event published through the API, after `data`. */
export interface PublishedMeta {
  /** The id the publish answered with (UUID); a retried idempotent publish keeps it. */
  id: string;
  /** ISO-8601 time the accepting node took it. */
  sentAt: string;
}

export type ApiErrorCode =
  ErrorCode | 'unauthorized' | 'not_found' | 'method_not_allowed' | 'too_many_targets' | 'idempotency_key_reused' | 'timeout';

/** The HTTP status of each error the API answers with. */
export const API_ERROR_STATUS: Readonly<Record<ApiErrorCode, number>> = {
  invalid_payload: 400,
  too_many_targets: 400,
  idempotency_key_reused: 400,
  forbidden: 403,
  not_in_room: 400,
  too_many_rooms: 400,
  unknown_event: 400,
  unauthorized: 401,
  not_found: 404,
  method_not_allowed: 405,
  timeout: 408,
  payload_too_large: 413,
  rate_limited: 429,
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

/** GET /api/v1/rooms/:room/presence, and `room:presence` over the socket. */
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
