import type { Server, Socket } from 'socket.io';
import type { Config } from '../config';
import type { Logger } from '../logger';

/** The Engine.IO internals the sweep reads: what waits to be written, per connection. */
interface Conn {
  writeBuffer: unknown[];
  transport: { name: string; socket?: { bufferedAmount?: number; terminate?: () => void } };
  close(discard?: boolean): void;
}

type Bounds = Pick<Config['limits'], 'slowConsumerMaxBufferedBytes' | 'slowConsumerMaxPackets'>;

/**
 * A client that stops reading would make the node buffer for it forever. Looking once a
 * second, off the write path, bounds that to a second of its traffic past the limits.
 * Returns the function that stops the sweep.
 */
export function sweepSlowConsumers(io: Server, bounds: Bounds, logger: Logger, addressOf: (socket: Socket) => string): () => void {
  const timer = setInterval(() => {
    for (const nsp of io._nsps.values()) for (const socket of nsp.sockets.values()) dropIfSlow(socket, bounds, logger, addressOf);
  }, 1_000);
  timer.unref();
  return () => clearInterval(timer);
}

function dropIfSlow(socket: Socket, bounds: Bounds, logger: Logger, addressOf: (socket: Socket) => string): void {
  const conn = socket.conn as unknown as Conn;
  const bufferedBytes = conn.transport.name === 'websocket' ? (conn.transport.socket?.bufferedAmount ?? 0) : 0;
  const packets = conn.writeBuffer.length;
  if (bufferedBytes <= bounds.slowConsumerMaxBufferedBytes && packets <= bounds.slowConsumerMaxPackets) return;
  logger.warn({ sid: socket.id, ip: addressOf(socket), bufferedBytes, packets }, 'dropping a slow consumer');
  conn.transport.socket?.terminate?.();
  conn.close(true);
}
