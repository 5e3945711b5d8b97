import type { IncomingMessage } from 'node:http';
import type { Server, ServerOptions, Socket } from 'socket.io';
import type { CloseReason } from '../../../contract/events';
import type { Config } from '../config';
import type { Lifecycle } from '../lifecycle';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics/publisher';
import { AuthenticatedConnections } from './authenticated-connections';
import type { BinaryPolicy } from './binary-policy';
import { clientAddress } from './client-address';
import { closeWithReason, closingOnRefusal, type Middleware, Refusal } from './connect-refusal';
import { limitConnections, limitShares, shareLimits } from './connection-limits';
import { ConnectionShares } from './connection-shares';
import { authenticateHandshakes } from './handshake-auth';
import { gateHandshakes } from './handshake-gate';
import { aheadOfTheApp } from './namespaces';
import { originPolicy } from './origin-policy';
import { type GuardedEngine, type PacketGuardOptions, PacketGuards } from './packet-guard';
import { type EngineConn, PreAuthSessions } from './pre-auth';
import { SampledLog } from './sampled-log';
import { SessionBinding } from './session-binding';

export interface Admission {
  /** Engine.IO's allowRequest: lifecycle, JSONP, Origin, pre-auth budget (handshake-gate.ts). */
  readonly allowRequest: NonNullable<ServerOptions['allowRequest']>;
  /**
   * Installs the CONNECT middlewares and the per-connection guard on every namespace, ahead of the app's own;
   * `onSocket` runs for each authenticated socket before the app's `connection` listeners. `io` must already be
   * attached to its HTTP server.
   */
  install(io: Server, onSocket: (socket: Socket) => void): void;
  /** Sessions without an authenticated CONNECT, now. */
  preAuthSessions(): number;
  /** Bytes the node holds of binary packets still waiting for attachments, now. */
  partialPacketBytes(): number;
  /** Connections with at least one authenticated socket (in any namespace), now: what MAX_CONNECTIONS and the metrics count. */
  connections(): number;
  /** The client's IP address, from the trusted proxy hops: for log lines. */
  addressOf(socket: Socket): string;
  /** Stops the guard's timers and writes the summaries of sampled log lines still pending. */
  close(): void;
}

export interface AdmissionDeps {
  readonly logger: Logger;
  readonly metrics: Pick<Metrics, 'increment'>;
  /** The binary packets the app takes (binary-policy.ts). */
  readonly binary: BinaryPolicy;
  lifecycle(): Lifecycle;
}

/** What log lines say for a connection whose address was never read (none that passed the engine's handshake). */
const UNKNOWN_ADDRESS = 'unknown';

/**
 * Drops the connection's reference to its handshake request (the Socket.IO docs' memory-usage advice): an IncomingMessage with
 * its headers, raw headers, parser state and query, that nothing reads after the handshake. What the node needs of it is taken
 * before: the client address (`ips`), the Origin and the pre-auth budget (allowRequest, earlier). Socket.IO's handshake, built
 * at the CONNECT, then has empty headers and query; the service reads only its `auth`.
 */
function releaseRequest(conn: EngineConn): void {
  emptyHeaders(conn.request);
  (conn as { request: unknown }).request = null;
}

/**
 * Empties a request's headers. engine.io's response to a WebSocket upgrade holds its request until the TCP socket closes
 * (a `close` listener), so on the websocket path dropping the reference frees nothing: emptying the request does.
 */
function emptyHeaders(request: IncomingMessage | null): void {
  if (!request) return;
  request.headers = {};
  request.rawHeaders = [];
}

/** The query engine.io parsed onto each request. */
type EngineRequest = IncomingMessage & { readonly _query?: { readonly sid?: string; readonly transport?: string } };

function logOriginPolicy(config: Config, logger: Logger): void {
  if (config.corsOrigins.length > 0) return;
  logger.info(
    { reason: config.corsOriginsUnsetReason ?? 'not given' },
    'CORS_ORIGINS is empty: browsers may connect from this origin only',
  );
}

/** The CONNECT middlewares, in order: the node's connection limit, the token, the holder's share of the node. */
function connectMiddlewares(
  config: Config,
  counts: { connections: () => number; shares: ConnectionShares; addressOf: (socket: Socket) => string },
  refused: (socket: Socket, err: Error) => void,
): Middleware[] {
  return [
    closingOnRefusal(limitConnections(counts.connections, config.limits.maxConnections), refused),
    closingOnRefusal(authenticateHandshakes(config.auth), refused),
    closingOnRefusal(limitShares(counts.shares, shareLimits(config, counts.addressOf)), refused),
  ];
}

/** Admission's sampled log lines (sampled-log.ts), one per kind of refusal. */
function admissionLogs(logger: Logger, perS: number) {
  return {
    refusedLog: new SampledLog(logger, 'info', 'handshake refused', perS),
    closedLog: new SampledLog(logger, 'warn', 'connection closed by the guard', perS),
    faultLog: new SampledLog(logger, 'error', 'packet guard failed', perS),
    strangerLog: new SampledLog(logger, 'warn', 'session request refused', perS),
  };
}

/**
 * Binds each long-polling session to its client (session-binding.ts), ahead of engine.io on every request that names a
 * session. Its `connection` listener runs before the one in `install`, which releases the handshake request.
 */
function bindSessions(io: Server, config: Config, log: SampledLog): void {
  const clients = (io.engine as unknown as { clients: Record<string, EngineConn> }).clients;
  const binding = new SessionBinding({
    crossSite: config.corsOrigins.length > 0,
    trustedProxyHops: config.trustedProxyHops,
    originAllowed: originPolicy(config.corsOrigins),
    session: (sid) => (Object.hasOwn(clients, sid) ? clients[sid] : undefined),
    refused: (reason, req) => log.write({ reason, ip: clientAddress(req, config.trustedProxyHops) }),
  });
  io.engine.on('initial_headers', binding.initialHeaders);
  io.engine.on('connection', (conn: Parameters<SessionBinding['opened']>[0]) => binding.opened(conn));
  io.engine.use(binding.middleware);
}

/** The packet guard on `io`'s connections (packet-guard.ts). */
function guardPackets(
  io: Server,
  config: Config,
  deps: Pick<PacketGuardOptions, 'binary' | 'connecting' | 'violation' | 'fault'>,
): PacketGuards {
  const parents = (io as unknown as { parentNsps: Map<unknown, unknown> }).parentNsps;
  const guard = new PacketGuards({
    ...deps,
    limits: config.limits,
    maxMessageBytes: config.maxHttpBufferBytes,
    // With dynamic namespaces (io.of(regex)) only Socket.IO can tell whether a name is served.
    hasNamespace: (nsp) => io._nsps.has(nsp) || parents.size > 0,
  });
  guard.attach(io.engine as unknown as GuardedEngine);
  return guard;
}

/**
 * Everything between a request and a socket with an identity, in the order a request meets it:
 * the handshake gate, the pre-auth budget, the packet guard, the connection limit, the token and the share of the node.
 */
export function createAdmission(config: Config, deps: AdmissionDeps): Admission {
  const { logger, metrics } = deps;
  const hops = config.trustedProxyHops;
  const logs = admissionLogs(logger, config.logRefusalsPerS);
  const { refusedLog, closedLog, faultLog, strangerLog } = logs;
  const ips = new WeakMap<EngineConn, string>();
  // Set at install(): the guard asks the server for its namespaces.
  let guards: PacketGuards | undefined;

  const closeConn = (conn: EngineConn, reason: CloseReason) => {
    metrics.increment('connectionsClosedByGuard');
    closedLog.write({ reason, ip: ips.get(conn) });
    const socket = guards?.anySocket(conn);
    // A client with a socket reads the reason, then sees `io server disconnect`, which its library does not retry by itself.
    if (socket) closeWithReason(socket, reason);
    else conn.close();
  };
  const preAuth = new PreAuthSessions(config.limits.preAuth, closeConn);
  logOriginPolicy(config, logger);

  const allowRequest = gateHandshakes({
    lifecycle: deps.lifecycle,
    originAllowed: originPolicy(config.corsOrigins),
    addressOf: (req) => clientAddress(req, hops),
    preAuth,
    refused(code, ip) {
      metrics.increment('handshakesRefused');
      refusedLog.write({ code, ip });
    },
  });

  // The address is read once, from the handshake's request, and kept per connection: the request itself is released (below).
  const addressOfConn = (conn: EngineConn) => ips.get(conn) ?? UNKNOWN_ADDRESS;
  const addressOf = (socket: Socket) => addressOfConn(socket.conn as EngineConn);
  const refusedConnect = (socket: Socket, err: Error) => {
    metrics.increment('handshakesRefused');
    refusedLog.write({ code: err.message, reason: err instanceof Refusal ? err.reason : 'error', ip: addressOf(socket) });
  };

  const authenticated = new AuthenticatedConnections();
  const connections = () => authenticated.size;
  const shares = new ConnectionShares();

  function install(io: Server, onSocket: (socket: Socket) => void): void {
    bindSessions(io, config, strangerLog);
    const middlewares = connectMiddlewares(config, { connections, shares, addressOf }, refusedConnect);
    const guard = (guards = guardPackets(io, config, {
      binary: deps.binary,
      connecting: (conn) => preAuth.connecting(conn),
      violation: closeConn,
      fault: (err) => faultLog.write({ err }),
    }));
    // Listeners shared by every connection and socket (called with it as `this`): no closures per connection.
    const leftBudget = function (this: EngineConn) {
      preAuth.remove(this);
      shares.closed(this);
      guard.forget(this);
    };
    // A socket leaves its holder's share. Its connection's last socket gone (the guard forgot it just before), the connection is
    // uncounted, and unauthenticated if still open.
    const unauthenticated = function (this: Socket) {
      shares.leave(this);
      const conn = this.conn as EngineConn;
      if (!guard.anySocket(conn) && authenticated.remove(conn) && conn.readyState === 'open') preAuth.opened(conn, addressOf(this));
    };
    io.engine.on('connection', (conn: EngineConn) => {
      const ip = clientAddress(conn.request, hops);
      ips.set(conn, ip);
      releaseRequest(conn);
      preAuth.opened(conn, ip);
      conn.on('close', leftBudget);
      guard.watch(conn);
    });
    // An upgrade of an open session to WebSocket: engine.io reads nothing of its headers after these (allowRequest has run).
    io.engine.on('headers', (_headers: unknown, req: EngineRequest) => {
      if (req._query?.sid !== undefined && req._query.transport === 'websocket') emptyHeaders(req);
    });
    aheadOfTheApp(io, middlewares, (socket) => {
      const conn = socket.conn as EngineConn;
      guard.connected(conn, socket.nsp.name, socket);
      preAuth.remove(conn);
      authenticated.add(conn);
      socket.on('disconnect', unauthenticated);
      onSocket(socket);
    });
  }

  return {
    allowRequest,
    install,
    preAuthSessions: () => preAuth.size,
    partialPacketBytes: () => guards?.partialBytes ?? 0,
    connections,
    addressOf,
    close() {
      guards?.stop();
      for (const log of Object.values(logs)) log.flush();
    },
  };
}
