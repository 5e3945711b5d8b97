import type { Server as HttpServer } from 'node:http';
import type { Config } from '../config';

/**
 * Keep-alive as the ALB needs it: it reuses idle connections to a target for up to its idle
 * timeout, so the node keeps them longer (otherwise the ALB may send a request on a connection
 * the node is closing, and answer 502). The header timer stays above the keep-alive one, and
 * the request timer above both.
 */
export function applyServerTimeouts(server: HttpServer, cfg: Config['http']): void {
  server.keepAliveTimeout = cfg.keepAliveTimeoutMs;
  server.headersTimeout = cfg.headersTimeoutMs;
  // 0 turns the request timer off; any other value must not end a request before its headers may.
  if (server.requestTimeout !== 0) server.requestTimeout = Math.max(server.requestTimeout, cfg.headersTimeoutMs);
}
