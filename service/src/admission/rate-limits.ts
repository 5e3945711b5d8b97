import type { Socket } from 'socket.io';
import { failure } from '../../../contract/events';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { SharedBuckets, TokenBucket } from './token-bucket';

/** Limits one socket's events: a token bucket per socket and one per user; sustained abuse ends the connection. */
export type RateLimit = (socket: Socket, user: string) => void;

export function createRateLimits(limits: Config['limits'], logger: Logger, addressOf: (socket: Socket) => string): RateLimit {
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
      if (own.take() && shared.take()) {
        rejectedInARow = 0;
        return next();
      }
      const ack = packet.at(-1);
      if (typeof ack === 'function') ack(failure('rate_limited', 'too many events, slow down'));
      if (++rejectedInARow >= limits.disconnectAfterRejected) {
        const ip = addressOf(socket);
        logger.warn({ sid: socket.id, user, ip, rejected: rejectedInARow }, 'disconnecting a socket that kept exceeding its rate limit');
        socket.disconnect(true);
      }
    });
  };
}
