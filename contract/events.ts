import { z } from 'zod';

/** Event names of the client protocol (docs/protocol.md). */
export const EVENTS = {
  session: 'session',
  roomJoin: 'room:join',
  roomLeave: 'room:leave',
  roomMembers: 'room:members',
  chatMessage: 'chat:message',
  roomPresence: 'room:presence',
} as const;

export const ROOM_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;

export type ErrorCode =
  | 'invalid_payload'
  | 'payload_too_large'
  | 'not_in_room'
  | 'forbidden'
  | 'too_many_rooms'
  | 'rate_limited'
  | 'overloaded'
  | 'unknown_event'
  | 'unavailable'
  | 'internal';

export interface Failure {
  ok: false;
  error: { code: ErrorCode; message: string };
}
export type Ack<T extends object> = ({ ok: true } & T) | Failure;
export type AckFn<T extends object> = (response: Ack<T>) => void;

/** Builds (returns, never throws) the answer to a refused request. */
export function failure(code: ErrorCode, message: string): Failure {
  return { ok: false, error: { code, message } };
}

export const roomName = z
  .string({ message: 'room must be a string' })
  .regex(ROOM_PATTERN, { message: 'room must be 1-64 characters of A-Z a-z 0-9 _ . : -' });

export const roomPayload = z.object({ room: roomName });

/** Text length is checked separately, in bytes, against the configured limit. */
export const chatPayload = z.object({
  room: roomName.nullish(),
  text: z.string({ message: 'text must be a string' }).min(1, { message: 'text must not be empty' }),
});

/** What every socket in the target receives for one accepted chat message. */
export interface ChatMessage {
  id: string;
  room: string | null;
  text: string;
  from: string;
  sentAt: string;
  node: string;
}

export interface SessionInfo {
  sid: string;
  node: string;
  user: string;
  /** True when connection state recovery restored this socket's rooms and missed messages. */
  recovered: boolean;
}

/** `connect_error` messages of refused CONNECTs; the connection is closed right after one. */
export const CONNECT_ERRORS = { unauthorized: 'unauthorized', serverFull: 'server_full' } as const;

/**
 * Why a handshake (the first HTTP request of a session) is refused with HTTP 403 (400 for a
 * WebSocket upgrade), before any session exists. `starting` and `draining` are the node's lifecycle.
 */
export const HANDSHAKE_ERRORS = {
  starting: 'starting',
  draining: 'draining',
  originNotAllowed: 'origin_not_allowed',
  jsonpDisabled: 'jsonp_disabled',
  preAuthIpLimit: 'preauth_ip_limit',
  preAuthFull: 'preauth_full',
} as const;
export type HandshakeError = (typeof HANDSHAKE_ERRORS)[keyof typeof HANDSHAKE_ERRORS];

/**
 * Why the node closed a connection itself: the `reason` of its log line. A client with a socket
 * sees `io server disconnect` (and does not reconnect by itself); one without sees the transport close.
 */
export const CLOSE_REASONS = {
  /** Past its packet or byte budget (CONNECTION_*). */
  packetBudget: 'packet_budget',
  /** An ACK for an id the server never asked about. */
  unexpectedAck: 'unexpected_ack',
  /** A CONNECT to a namespace that does not exist. */
  unknownNamespace: 'unknown_namespace',
  /** A second CONNECT to a namespace while one is pending or open on this connection. */
  duplicateConnect: 'duplicate_connect',
  /** No authenticated CONNECT within PREAUTH_TIMEOUT_MS. */
  preAuthTimeout: 'preauth_timeout',
  /** The oldest unauthenticated session, closed to make room for a new one when PREAUTH_MAX_SESSIONS are open. */
  preAuthEvicted: 'preauth_evicted',
} as const;
export type CloseReason = (typeof CLOSE_REASONS)[keyof typeof CLOSE_REASONS];
