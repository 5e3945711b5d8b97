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
import { limitConnections } from './connection-limits';
import { authenticateHandshakes } from './handshake-auth';
import { gateHandshakes } from './handshake-gate';
import { aheadOfTheApp } from './namespaces';
import { originPolicy } from './origin-policy';
import { type GuardedEngine, type PacketGuardOptions, PacketGuards } from './packet-guard';
import { type EngineConn, PreAuthSessions } from './pre-auth';
import { SampledLog } from './sampled-log';

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
 * the handshake gate, the pre-auth budget, the packet guard, the connection limit and the token.
 */
export function createAdmission(config: Config, deps: AdmissionDeps): Admission {
  const { logger, metrics } = deps;
  const hops = config.trustedProxyHops;
  const refusedLog = new SampledLog(logger, 'info', 'handshake refused', config.logRefusalsPerS);
  const closedLog = new SampledLog(logger, 'warn', 'connection closed by the guard', config.logRefusalsPerS);
  const faultLog = new SampledLog(logger, 'error', 'packet guard failed', config.logRefusalsPerS);
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

  function install(io: Server, onSocket: (socket: Socket) => void): void {
    const middlewares: Middleware[] = [
      closingOnRefusal(limitConnections(connections, config.limits.maxConnections), refusedConnect),
      closingOnRefusal(authenticateHandshakes(config.auth), refusedConnect),
    ];
    const guard = (guards = guardPackets(io, config, {
      binary: deps.binary,
      connecting: (conn) => preAuth.connecting(conn),
      violation: closeConn,
      fault: (err) => faultLog.write({ err }),
    }));
    // Listeners shared by every connection and socket (called with it as `this`): no closures per connection.
    const leftBudget = function (this: EngineConn) {
      preAuth.remove(this);
      guard.forget(this);
    };
    // Its last socket gone (the guard forgot it just before), a connection is uncounted, and unauthenticated if still open.
    const unauthenticated = function (this: Socket) {
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
      for (const log of [refusedLog, closedLog, faultLog]) log.flush();
    },
  };
}
