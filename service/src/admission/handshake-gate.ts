import type { IncomingMessage } from 'node:http';
import type { ServerOptions } from 'socket.io';
import { HANDSHAKE_ERRORS, type HandshakeError } from '../../../contract/events';
import type { Lifecycle } from '../lifecycle';
import { isJsonp } from './origin-policy';
import type { PreAuthSessions } from './pre-auth';

export interface HandshakeGateOptions {
  lifecycle(): Lifecycle;
  /** Whether the request's Origin may open a session (origin-policy.ts). */
  originAllowed(req: IncomingMessage): boolean;
  /** The client's address (client-address.ts). */
  addressOf(req: IncomingMessage): string;
  readonly preAuth: PreAuthSessions;
  /** Counts and logs a refusal (not the lifecycle's: those are expected during every deploy). */
  refused(code: HandshakeError, ip: string): void;
}

/**
 * Engine.IO's allowRequest, run on the first request of every session (polling or WebSocket),
 * before the session exists: refuses it (HTTP 403; 400 for an upgrade) while the node starts or
 * drains, so that the client retries through the load balancer on another node; for JSONP and a
 * foreign Origin; and past the pre-auth budget.
 */
export function gateHandshakes(opts: HandshakeGateOptions): NonNullable<ServerOptions['allowRequest']> {
  return (req, callback) => {
    const lifecycle = opts.lifecycle();
    if (lifecycle !== 'ready') return callback(lifecycle === 'starting' ? HANDSHAKE_ERRORS.starting : HANDSHAKE_ERRORS.draining, false);
    const ip = opts.addressOf(req);
    const refuse = (code: HandshakeError) => {
      opts.refused(code, ip);
      callback(code, false);
    };
    if (isJsonp(req)) return refuse(HANDSHAKE_ERRORS.jsonpDisabled);
    if (!opts.originAllowed(req)) return refuse(HANDSHAKE_ERRORS.originNotAllowed);
    const admitted = opts.preAuth.admit(ip);
    if (admitted !== 'ok') return refuse(admitted);
    callback(null, true);
  };
}
