/**
 * The demo chat's client protocol (docs/protocol.md): its events, payloads and answers. The chat is an app like any
 * other: nothing of this is the platform's.
 */
import { z } from 'zod';
import type { LimitCode } from '../../contract/events';

/** Event names of the chat's protocol. */
export const EVENTS = {
  roomJoin: 'room:join',
  roomLeave: 'room:leave',
  roomMembers: 'room:members',
  chatMessage: 'chat:message',
  roomPresence: 'room:presence',
} as const;

export const ROOM_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;

/** The chat's own refusals, and the platform's limits' (`rate_limited`, `overloaded`), which answer through the same ack. */
export type ErrorCode =
  | LimitCode
  | 'invalid_payload'
  | 'payload_too_large'
  | 'not_in_room'
  | 'forbidden'
  | 'too_many_rooms'
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
