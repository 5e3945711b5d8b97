import type { Socket } from 'socket.io';
import { isReserved } from '../../../contract/app';
import { CLOSE_REASONS, type CloseReason, limitFailure } from '../../../contract/events';
import type { Config } from '../config';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics/publisher';
import { SharedBuckets, TokenBucket } from './token-bucket';

/** Puts the limits on one socket's events: installed before the app sees the socket. */
export type EventLimits = (socket: Socket, user: string) => void;

export interface EventLimitsOptions {
  readonly limits: Config['limits'];
  readonly logger: Logger;
  readonly metrics: Pick<Metrics, 'increment'>;
  /** True while the node is too far behind to take more events (SHED_LOAD_LAG_MS). */
  overloaded(): boolean;
  addressOf(socket: Socket): string;
  /** Closes the socket's connection, telling the client why first (`sys:disconnect`). */
  close(socket: Socket, reason: CloseReason): void;
}

/**
 * The only things the platform does to an app's events: a client's `sys:` events never reach the app (they are the
 * platform's); while the node is overloaded every event is refused (`overloaded`); past a token bucket per socket or
 * per user it is refused (`rate_limited`). A refused event with an ack is answered through it, one without is dropped,
 * and both are counted; RATE_LIMIT_DISCONNECT_AFTER refusals in a row end the connection. Every other event goes to
 * the app untouched, and counts as one in (`MessagesIn`).
 */
export function createEventLimits(opts: EventLimitsOptions): EventLimits {
  const { limits, logger, metrics } = opts;
  const userBuckets = new SharedBuckets(() => new TokenBucket(limits.perUser.ratePerS, limits.perUser.burst));
  const users = new WeakMap<Socket, string>();
  // One listener for every socket (called with it as `this`), instead of a `once` wrapper and a closure each.
  const release = function (this: Socket) {
    const user = users.get(this);
    if (user === undefined) return;
    users.delete(this);
    userBuckets.release(user);
  };
  return (socket, user) => {
    const own = new TokenBucket(limits.perSocket.ratePerS, limits.perSocket.burst);
    const shared = userBuckets.acquire(user);
    users.set(socket, user);
    socket.on('disconnect', release);
    let rejectedInARow = 0;
    socket.use((packet, next) => {
      const event: unknown = packet[0];
      if (typeof event === 'string' && isReserved(event)) return;
      const ack = packet.at(-1);
      if (opts.overloaded()) {
        metrics.increment('messagesShed');
        if (typeof ack === 'function') ack(limitFailure('overloaded', 'the server is overloaded, retry shortly'));
        return;
      }
      if (own.take() && shared.take()) {
        rejectedInARow = 0;
        metrics.increment('messagesIn');
        return next();
      }
      metrics.increment('eventsRateLimited');
      if (typeof ack === 'function') ack(limitFailure('rate_limited', 'too many events, slow down'));
      if (++rejectedInARow >= limits.disconnectAfterRejected) {
        const ip = opts.addressOf(socket);
        logger.warn({ sid: socket.id, user, ip, rejected: rejectedInARow }, 'disconnecting a socket that kept exceeding its rate limit');
        opts.close(socket, CLOSE_REASONS.rateLimited);
      }
    });
  };
}
