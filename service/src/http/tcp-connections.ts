import type { Server as HttpServer } from 'node:http';
import { SampledLog } from '../admission/sampled-log';
import type { Logger } from '../logger';

/**
 * Caps the TCP connections the HTTP server holds (`server.maxConnections`, MAX_TCP_CONNECTIONS): past it Node closes a
 * new connection as soon as it is accepted, and the connections held are served as before. Defence in depth for what
 * no other limit counts because it never completes a request (silent connections, slowloris headers, idle keep-alives),
 * which the load balancer never sends but a client reaching the task inside the VPC could: the cap keeps such a flood
 * below the task's file descriptors (Fargate: 65,535) and its memory bounded. A sampled warning says when it refuses.
 */
export function capTcpConnections(server: HttpServer, maxTcpConnections: number, logger: Logger, linesPerS: number): void {
  server.maxConnections = maxTcpConnections;
  const refused = new SampledLog(logger, 'warn', 'TCP connection refused: MAX_TCP_CONNECTIONS reached', linesPerS);
  server.on('drop', (data?: { remoteAddress?: string }) => refused.write({ maxTcpConnections, peer: data?.remoteAddress }));
}
