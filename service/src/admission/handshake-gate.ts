import type { ServerOptions } from 'socket.io';
import { CONNECT_ERRORS } from '../../../contract/events';
import type { Lifecycle } from '../lifecycle';
import { hardConnectionLimit } from './connection-limits';

export interface HandshakeGateOptions {
  lifecycle(): Lifecycle;
  /** Engine.IO connections open now. */
  connections(): number;
  readonly maxConnections: number;
}

/**
 * Engine.IO's allowRequest: refuses a handshake (HTTP 403) while the node starts or drains, so that the
 * client retries through the load balancer on another node, and past the hard connection limit.
 */
export function gateHandshakes(opts: HandshakeGateOptions): NonNullable<ServerOptions['allowRequest']> {
  const hardLimit = hardConnectionLimit(opts.maxConnections);
  return (_req, callback) => {
    const lifecycle = opts.lifecycle();
    if (lifecycle !== 'ready') return callback(lifecycle, false);
    if (opts.connections() >= hardLimit) return callback(CONNECT_ERRORS.serverFull, false);
    callback(null, true);
  };
}
