/**
 * The app contract (docs/apps.md): what a team's Socket.IO code gets from the platform, and the names the platform
 * reserves. An app is a module whose default export (or `module.exports`) is a function of the node's Socket.IO server
 * and of the platform; its optional `http` export answers every request the platform does not serve.
 *
 * Plain JavaScript apps need none of these types; TypeScript apps import them with `import type`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server, Socket } from 'socket.io';
import type { RoomPresence } from './api';

/** The one prefix of every event and room the platform owns: no app event or room starting with it reaches the app. */
export const SYS_PREFIX = 'sys:';

/** Events the platform emits to a client itself. */
export const SYS_EVENTS = {
  /** After the connection, once publishes to the socket's user can reach it: `SessionInfo`. */
  session: 'sys:session',
  /** Just before the platform closes a connection itself: `{ reason }` (a `CloseReason`), so the client can tell why. */
  disconnect: 'sys:disconnect',
} as const;

/** The room every socket of one user is in, through which the backend API reaches that user on every node. */
export const userRoom = (user: string) => `${SYS_PREFIX}user:${user}`;

/** Whether an event or room name is the platform's. */
export const isReserved = (name: string) => name.startsWith(SYS_PREFIX);

/** What `sys:session` carries. */
export interface SessionInfo {
  sid: string;
  node: string;
  user: string;
  /** True when connection state recovery restored this socket's rooms and missed messages. */
  recovered: boolean;
}

/** Who a socket is; on `socket.data.identity` before the app's middlewares run. */
export interface Identity {
  /** The token's `sub` under JWT auth; `guest-<6 characters>` without auth. */
  readonly user: string;
  /** The token's verified claims (JWT auth only). */
  readonly claims?: Readonly<Record<string, unknown>>;
}

/** The app's view of the node's logger (pino): a message, with an object of fields first when there are any. */
export interface AppLogger {
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
  debug(obj: object | string, msg?: string): void;
}

/** What the platform gives an app besides the Socket.IO server. */
export interface Platform {
  /** This node's id (the task's, on AWS). */
  readonly nodeId: string;
  readonly logger: AppLogger;
  /**
   * A URL any Redis client takes for the Redis the adapter uses (`rediss://` with the AUTH password on AWS, the local
   * password under `npm start`); undefined when the node runs without Redis.
   */
  readonly redisUrl: string | undefined;
  /** The app's own metrics: published beside the platform's, a Sum per interval under the name given. */
  readonly metrics: {
    /** Adds `n` (default 1) to the metric `name` (1-64 of A-Z a-z 0-9 _ . -). */
    count(name: string, n?: number): void;
  };
  /** The token's room rules (AUTH_ROOMS_CLAIM, AUTH_BROADCAST_CLAIM): an app that honours them asks here. */
  readonly auth: {
    /** Whether the socket's token lets it join `room` (or learn who is in it); true without a rooms claim. */
    mayJoin(socket: Socket, room: string): boolean;
    /** Whether it may send to everyone: true without a rooms claim, else the broadcast claim. */
    mayBroadcast(socket: Socket): boolean;
  };
  readonly rooms: {
    /** Sockets in `room` across the cluster, within REDIS_REQUESTS_TIMEOUT_MS. */
    count(room: string): Promise<number>;
    /** Who is in `room` across the cluster (the backend API's shape). */
    presence(room: string): Promise<RoomPresence>;
    /** Resolves once messages from other nodes to the rooms joined so far can arrive (sharded mode subscribes after a join). */
    settled(): Promise<void>;
  };
}

/**
 * What an app declares of itself, as its `settings` export beside the app function (docs/apps.md): read once, when the
 * node loads the app, and the same on every node and in every stage, since it is part of the app's protocol.
 */
export interface AppSettings {
  /**
   * Binary events and acks (a Buffer, an ArrayBuffer or a Blob among an event's arguments: Socket.IO sends each as an
   * attachment after the packet). `false`: the app takes none, and a connection that sends one is closed
   * (`binary_refused`). Unset: up to 10 attachments of up to MAX_HTTP_BUFFER_BYTES each, as a stock server takes.
   */
  readonly binary?: false | BinarySettings;
}

/** The binary packets an app takes. */
export interface BinarySettings {
  /** Attachments one event or ack may carry: 1 to 10 (socket.io-parser refuses more). @default 10 */
  readonly maxAttachments?: number;
  /** Bytes of one attachment: at most MAX_HTTP_BUFFER_BYTES, the largest message. @default MAX_HTTP_BUFFER_BYTES */
  readonly maxAttachmentBytes?: number;
}

/** The app: sets up `io` (middlewares, namespaces, handlers) before the node accepts connections. */
export type SocketApp = (io: Server, platform: Platform) => void | Promise<void>;

/** The app's optional HTTP handler (an Express app is one): every request outside /socket.io/, /healthz, /readyz and /api/. */
export type AppHttpHandler = (req: IncomingMessage, res: ServerResponse) => void;
