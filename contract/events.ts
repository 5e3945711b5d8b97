/**
 * What the platform itself says to clients, whatever the app (docs/protocol.md): the answers of its limits, why it refuses
 * a handshake or a CONNECT, and why it closes a connection. The app's own events are the app's (apps/chat/protocol.ts
 * for the demo chat); the platform's events and rooms are under `sys:` (contract/app.ts).
 */

/** The codes the platform answers an app's event with, through the event's ack, when a limit refuses it. */
export type LimitCode = 'rate_limited' | 'overloaded';

export interface LimitFailure {
  ok: false;
  error: { code: LimitCode; message: string };
}

/** Builds the answer to an event a limit refused. */
export function limitFailure(code: LimitCode, message: string): LimitFailure {
  return { ok: false, error: { code, message } };
}

/**
 * `connect_error` messages of refused CONNECTs; the connection is closed right after one. `server_full`: the node is at
 * MAX_CONNECTIONS, or in its reserved slots for a user (guest IP) that already holds MAX_CONNECTIONS_RESERVED_BELOW;
 * `user_limit`: this token's `sub` holds MAX_CONNECTIONS_PER_USER on the node; `guest_ip_limit`: without auth, this client
 * IP's guests hold MAX_CONNECTIONS_PER_GUEST_IP on the node.
 */
export const CONNECT_ERRORS = {
  unauthorized: 'unauthorized',
  serverFull: 'server_full',
  userLimit: 'user_limit',
  guestIpLimit: 'guest_ip_limit',
} as const;

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
 * Why the node closed a connection itself: the `reason` of its log line, and of the `sys:disconnect` event a client
 * with a socket receives just before (it then sees `io server disconnect`, and does not reconnect by itself); one
 * without a socket sees the transport close.
 */
export const CLOSE_REASONS = {
  /** Past its packet or byte budget (CONNECTION_*). */
  packetBudget: 'packet_budget',
  /** RATE_LIMIT_DISCONNECT_AFTER events in a row refused by the rate limits. */
  rateLimited: 'rate_limited',
  /** An ACK for an id the server never asked about. */
  unexpectedAck: 'unexpected_ack',
  /** A second CONNECT to a namespace that does not exist (the first is answered `Invalid namespace`, as Socket.IO does). */
  unknownNamespace: 'unknown_namespace',
  /** A second CONNECT to a namespace while one is pending or open on this connection. */
  duplicateConnect: 'duplicate_connect',
  /** No authenticated CONNECT within PREAUTH_TIMEOUT_MS. */
  preAuthTimeout: 'preauth_timeout',
  /** The oldest unauthenticated session, closed to make room for a new one when PREAUTH_MAX_SESSIONS are open. */
  preAuthEvicted: 'preauth_evicted',
  /**
   * A binary event or ack the node does not take: the app takes none (its `settings.binary` is false), the connection has
   * no socket in the packet's namespace yet (before an authenticated CONNECT), or it has more or larger attachments than
   * the app allows.
   */
  binaryRefused: 'binary_refused',
  /** A binary packet's attachments, a WebSocket message or a polling body not complete within PARTIAL_PACKET_TIMEOUT_MS. */
  partialTimeout: 'partial_timeout',
  /** The oldest partial binary packet, closed when the node's partial packets would pass PARTIAL_PACKETS_MAX_BYTES. */
  partialEvicted: 'partial_evicted',
} as const;
export type CloseReason = (typeof CLOSE_REASONS)[keyof typeof CLOSE_REASONS];
