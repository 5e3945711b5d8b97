import { Socket } from 'socket.io';
import { isReserved } from '../../../contract/app';
import { CLOSE_REASONS, type CloseReason, limitFailure } from '../../../contract/events';
import type { Config } from '../config';
import { type DeliveryBudgets, handlingEventOf, userSender } from '../delivery/delivery-budget';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics/publisher';
import type { LagMonitor } from './overload';
import { SharedBuckets, TokenBucket } from './token-bucket';

/** Puts the limits on one socket's events: installed before the app sees the socket. */
export type EventLimits = (socket: Socket, user: string) => void;

export interface EventLimitsOptions {
  readonly limits: Config['limits'];
  readonly logger: Logger;
  readonly metrics: Pick<Metrics, 'increment'>;
  /** How far behind the node is, in SHED_LOAD_LAG_MS (`pressure()`): above 1 it sheds; 0 when shedding is off. */
  readonly lag: Pick<LagMonitor, 'pressure'>;
  /** What each user's events have cost in deliveries on this node (delivery/delivery-budget.ts). */
  readonly deliveries: DeliveryBudgets;
  addressOf(socket: Socket): string;
  /** Closes the socket's connection, telling the client why first (`sys:disconnect`). */
  close(socket: Socket, reason: CloseReason): void;
}

/** An incoming EVENT packet as Socket.IO's socket receives it: `[event, ...args]`, and the ack's id when it asked for one. */
interface EventPacket {
  data?: unknown[];
  id?: number;
}

/** What decides, per socket, whether an incoming event reaches the app; `answer` replies through the event's ack, if any. */
type Gate = (packet: EventPacket, answer: (reply: unknown) => void) => boolean;

const gates = new WeakMap<Socket, Gate>();

/**
 * The gate sits in front of Socket.IO's own handling of an incoming event (`onevent`), which calls the app's `onAny`
 * listeners before its middlewares and then its `on` handlers: so a refused event reaches none of them. Installed
 * once per process on Socket.IO's socket class; a socket without a gate (a server that is not the platform's) is
 * untouched. Checked against socket.io 4.8 (test/service/delivery/fast-broadcast-versions.test.ts pins the version).
 */
function installGate(): void {
  type Internals = { onevent(packet: EventPacket): void; ack(id: number): (...args: unknown[]) => void; __platformGate?: true };
  const proto = Socket.prototype as unknown as Internals;
  if (proto.__platformGate) return;
  proto.__platformGate = true;
  const onevent = proto.onevent;
  proto.onevent = function (this: Internals, packet: EventPacket) {
    const gate = gates.get(this as unknown as Socket);
    if (gate && !gate(packet, (reply) => packet.id !== undefined && this.ack(packet.id)(reply))) return;
    onevent.call(this, packet);
  };
}

/**
 * Whether a user's event is shed while the node runs late. The heaviest senders go first: at a pressure p between 1
 * and 2 (the lag between one and two SHED_LOAD_LAG_MS), the users who have spent at least 2 - p of their delivery
 * burst and not earned it back (a user writing to thousands of sockets spends it; one chatting in a room of ten
 * earns it back within milliseconds); from twice the threshold on, everyone, as before.
 */
export function shedding(pressure: number, spentShare: number): boolean {
  return pressure > 1 && (pressure >= 2 || spentShare >= 2 - pressure);
}

/**
 * The only things the platform does to an app's events: a client's `sys:` events never reach the app (they are the
 * platform's); while the node is overloaded they are refused (`overloaded`), the heaviest senders' first (`shedding`);
 * while the user's messages have caused more deliveries on this node than USER_DELIVERIES_PER_S allows, and past a
 * token bucket per socket or per user, they are refused (`rate_limited`). A refused event with an ack is answered
 * through it, one without is dropped, and both are counted; RATE_LIMIT_DISCONNECT_AFTER refusals in a row end the
 * connection. Every other event goes to the app untouched, counts as one in (`MessagesIn`), and what its handler
 * broadcasts is charged to its user's delivery budget.
 */
export function createEventLimits(opts: EventLimitsOptions): EventLimits {
  const { limits, logger, metrics, deliveries } = opts;
  const { ratePerS, burst } = limits.userDeliveries;
  const overBudget = (sender: string, debt: number) =>
    limitFailure(
      'rate_limited',
      `this user's messages reached more sockets than USER_DELIVERIES_PER_S (${ratePerS}/s, burst ${burst}) allows on this ` +
        `node: retry in ${deliveries.secondsToRepay(sender, debt)} s`,
    );
  installGate();
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
    const sender = userSender(user);
    users.set(socket, user);
    socket.on('disconnect', release);
    let rejectedInARow = 0;
    gates.set(socket, (packet, answer) => {
      // The rest of a batch read after the limits closed the connection: nothing more to answer or count.
      if (!socket.connected) return false;
      const event = packet.data?.[0];
      if (typeof event === 'string' && isReserved(event)) return false;
      const pressure = opts.lag.pressure();
      if (pressure > 1 && shedding(pressure, deliveries.spentShare(sender))) {
        metrics.increment('messagesShed');
        answer(limitFailure('overloaded', 'the server is overloaded, retry shortly'));
        return false;
      }
      const debt = deliveries.debt(sender);
      if (debt === 0 && own.take() && shared.take()) {
        rejectedInARow = 0;
        metrics.increment('messagesIn');
        handlingEventOf(sender);
        return true;
      }
      metrics.increment('eventsRateLimited');
      answer(debt > 0 ? overBudget(sender, debt) : limitFailure('rate_limited', 'too many events, slow down'));
      if (++rejectedInARow >= limits.disconnectAfterRejected) {
        const ip = opts.addressOf(socket);
        logger.warn({ sid: socket.id, user, ip, rejected: rejectedInARow }, 'disconnecting a socket that kept exceeding its rate limit');
        opts.close(socket, CLOSE_REASONS.rateLimited);
      }
      return false;
    });
  };
}
