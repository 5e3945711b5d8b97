import type { Server } from 'socket.io';
import type { Logger } from '../logger';
import { spreadDisconnects } from './spread';

/** The drain of one node: begun by its target draining in the load balancer, or by SIGTERM. */
export interface Drain {
  /** Begins the drain, once: `onBegin` (new handshakes refused, readiness 503), then the disconnects spread over `spreadMs`. */
  begin(reason: string): Promise<void>;
  /** SIGTERM: the spread ends within `ms`, begun now or already running. */
  finishWithin(reason: string, ms: number): Promise<void>;
}

export function createDrain(io: Server, opts: { spreadMs: number; logger: Logger; onBegin(): void }): Drain {
  let deadline = 0;
  let spreading: Promise<void> | undefined;
  const begin = (reason: string, spreadMs: number) =>
    (spreading ??= (async () => {
      opts.onBegin();
      const startedAt = Date.now();
      deadline = startedAt + spreadMs;
      opts.logger.info({ reason, connections: io.engine.clientsCount, spreadMs }, 'drain begins: no new sockets, the open ones spread');
      const closed = await spreadDisconnects(io, () => deadline);
      opts.logger.info({ reason, closed, tookMs: Date.now() - startedAt }, 'drain spread done');
    })());
  return {
    begin: (reason) => begin(reason, opts.spreadMs),
    finishWithin(reason, ms) {
      if (!spreading) return begin(reason, ms);
      deadline = Math.min(deadline, Date.now() + ms);
      return spreading;
    },
  };
}
