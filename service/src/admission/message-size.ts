/**
 * The Engine.IO and ws internals that bound one message of one connection, and tell whether a message is still arriving
 * (engine.io 6.6 and ws 8, as pinned; test/service/admission/partial-packets.test.ts holds them to it):
 *
 * - a polling transport refuses a POST body past its own `maxHttpBufferSize` (engine.io copies the server's at the
 *   handshake), and `dataReq` is the POST whose body is still arriving;
 * - a WebSocket's receiver refuses a message past its `_maxPayload` (1009, the connection closes), read as each frame's
 *   header arrives, so it can change during the connection, and more than `_maxBufferedChunks` reads of a frame not yet
 *   complete (1008): each read is a Buffer of its own, so a message sent a few bytes at a time costs more than its bytes.
 *   `_bufferedBytes` and `_messageLength` are what it holds of a message not yet complete. A new WebSocket's receiver
 *   takes the server's `options`.
 */

/** The largest message a connection may send, and the reads a WebSocket frame may arrive in. */
export interface MessageLimit {
  readonly maxBytes: number;
  readonly maxChunks: number;
}

/**
 * Reads of one WebSocket frame before authentication: a CONNECT with its token arrives in a few TCP segments (an 8 KiB
 * one in six of 1,460 bytes); 32 leaves room for a slow link and bounds a frame sent a few bytes at a time.
 */
export const PREAUTH_MAX_CHUNKS = 32;

/** ws's own bound on the reads of one frame, which a connection with a socket keeps. */
export const WS_MAX_CHUNKS = 262_144;

/** An Engine.IO transport, as far as these read it. */
export interface EngineTransport {
  readonly name: string;
  maxHttpBufferSize?: number;
  readonly dataReq?: unknown;
  /** The WebSocket (ws) of a websocket transport; `terminate` ends its TCP connection at once. */
  readonly socket?: { readonly _receiver?: WsReceiver | null; terminate?(): void };
}

interface WsReceiver {
  _maxPayload: number;
  _maxBufferedChunks: number;
  readonly _bufferedBytes: number;
  readonly _messageLength: number;
}

/** The ws server engine.io made (`io.engine.ws`): the options each new WebSocket's receiver starts with. */
export interface WsServer {
  readonly options: { maxPayload?: number; maxBufferedChunks?: number };
}

/** Sets the largest message `transport` takes from now on (and for a WebSocket, the reads a frame may arrive in). */
export function limitMessages(transport: EngineTransport | undefined, limit: MessageLimit): void {
  if (transport?.name === 'polling') transport.maxHttpBufferSize = limit.maxBytes;
  const receiver = transport?.name === 'websocket' ? transport.socket?._receiver : undefined;
  if (!receiver) return;
  receiver._maxPayload = limit.maxBytes;
  receiver._maxBufferedChunks = limit.maxChunks;
}

/** Makes every new WebSocket (a session's first transport, or an upgrade) start at `limit`; returns the server's own. */
export function limitNewWebSockets(ws: WsServer | undefined, limit: MessageLimit): MessageLimit | undefined {
  if (!ws) return undefined;
  const own = { maxBytes: ws.options.maxPayload ?? 0, maxChunks: ws.options.maxBufferedChunks ?? WS_MAX_CHUNKS };
  ws.options.maxPayload = limit.maxBytes;
  ws.options.maxBufferedChunks = limit.maxChunks;
  return own;
}

/** Whether a message has begun arriving on `transport` and has not ended: a polling body, or part of a WebSocket message. */
export function messageArriving(transport: EngineTransport | undefined): boolean {
  if (transport?.name === 'polling') return Boolean(transport.dataReq);
  const receiver = transport?.name === 'websocket' ? transport.socket?._receiver : undefined;
  return receiver ? receiver._bufferedBytes > 0 || receiver._messageLength > 0 : false;
}
