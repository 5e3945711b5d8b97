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

/** Per socket: its gate, and what to do when the app's code throws while handling one of its events. */
interface Guarded {
  readonly admit: Gate;
  /** Shared by every socket of a server. */
  threw(socket: Socket, err: unknown, event: unknown): void;
}

const guarded = new WeakMap<Socket, Guarded>();

/**
 * The gate sits in front of Socket.IO's own handling of an incoming event (`onevent`), which calls the app's `onAny`
 * listeners before its middlewares and then its `on` handlers: so a refused event reaches none of them. Installed
 * once per process on Socket.IO's socket class; a socket without a gate (a server that is not the platform's) is
 * untouched. Checked against socket.io 4.8 (test/service/delivery/fast-broadcast-versions.test.ts pins the version).
 *
 * A throw from the app's code costs that event, not the node: `onAny` listeners and `socket.use` middlewares run inside
 * `onevent`, and handlers on a later tick through `emitUntyped` of Socket's parent class (Socket.IO's `dispatch` calls
 * it with `super`), where an exception would be uncaught and end the process with every connection on it.
 */
function installGate(): void {
  type Internals = { onevent(packet: EventPacket): void; ack(id: number): (...args: unknown[]) => void; __platformGate?: true };
  type Emitter = { emitUntyped(this: unknown, event: unknown, ...args: unknown[]): boolean };
  const proto = Socket.prototype as unknown as Internals;
  if (proto.__platformGate) return;
  proto.__platformGate = true;
  const onevent = proto.onevent;
  proto.onevent = function (this: Internals, packet: EventPacket) {
    const socket = guarded.get(this as unknown as Socket);
    if (!socket) return onevent.call(this, packet);
    if (!socket.admit(packet, (reply) => packet.id !== undefined && this.ack(packet.id)(reply))) return;
    try {
      onevent.call(this, packet);
    } catch (err) {
      socket.threw(this as unknown as Socket, err, packet.data?.[0]);
    }
  };
  const parent = Object.getPrototypeOf(Socket.prototype) as Emitter;
  const emitUntyped = parent.emitUntyped;
  parent.emitUntyped = function (this: unknown, event: unknown, ...args: unknown[]) {
    const socket = this instanceof Socket ? guarded.get(this) : undefined;
    if (!socket) return emitUntyped.call(this, event, ...args);
    try {
      return emitUntyped.call(this, event, ...args);
    } catch (err) {
      socket.threw(this as Socket, err, event);
      return true;
    }
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
  const threw = (socket: Socket, err: unknown, event: unknown) =>
    logger.error({ err, event, sid: socket.id, user: users.get(socket) }, 'an app handler threw');
  return (socket, user) => {
    const own = new TokenBucket(limits.perSocket.ratePerS, limits.perSocket.burst);
    const shared = userBuckets.acquire(user);
    const sender = userSender(user);
    users.set(socket, user);
    socket.on('disconnect', release);
    let rejectedInARow = 0;
    const admit: Gate = (packet, answer) => {
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
    };
    guarded.set(socket, { admit, threw });
  };
}
