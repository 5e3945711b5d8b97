/**
 * The delivery budget: how many deliveries (a broadcast written to one socket) one sender's messages may cause on a node
 * per second. A sender is a user (its events, through whatever the app's handler broadcasts) or a backend API key (its
 * publishes). The cost of a message is its rate times its audience, and only the node that writes to a socket knows the
 * audience there; so every broadcast carries its sender in its flags to every node (the adapters send the flags with it),
 * and each node charges the deliveries it writes to that sender's ledger on this node. A sender in debt on a node has its
 * events (or publishes) refused there, and the broadcasts that reach the node from elsewhere are not written there:
 * whatever its audience, a sender causes at most its budget (and one broadcast past it) on any node.
 *
 * Per delivery the cost is one decrement; per broadcast, one map lookup and a clock read.
 */

import type { Config } from '../config';

/** Where a broadcast's sender travels in its flags, to every node: a key no Socket.IO flag uses. */
export const SENDER_FLAG = 'sys:sender';

export interface Budget {
  readonly ratePerS: number;
  readonly burst: number;
}

export interface DeliveryBudgetsConfig {
  readonly user: Budget;
  readonly apiKey: Budget;
}

/** The tag a sender travels as: its kind (`u` a user, `k` an API key, by its index in API_KEYS), then its id. */
export const userSender = (user: string) => `u${user}`;
export const apiKeySender = (index: number) => `k${index}`;

/** Deliveries a sender may still cause on this node: refilled at its budget's rate up to its burst, below zero in debt. */
export class Ledger {
  tokens: number;
  private last: number;

  constructor(
    readonly budget: Budget,
    now: number,
  ) {
    this.tokens = budget.burst;
    this.last = now;
  }

  /** Adds what the time since the last settle earned; returns the tokens (negative: in debt). */
  settle(now: number): number {
    this.tokens = Math.min(this.budget.burst, this.tokens + ((now - this.last) / 1000) * this.budget.ratePerS);
    this.last = now;
    return this.tokens;
  }
}

const monotonicNow = performance.now.bind(performance);

/** Every sender's ledger on this node. A ledger back at its full burst is the same as none, and is swept. */
export class DeliveryBudgets {
  private readonly ledgers = new Map<string, Ledger>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly config: DeliveryBudgetsConfig,
    private readonly now: () => number = monotonicNow,
  ) {}

  budgetOf(sender: string): Budget {
    return sender.startsWith('k') ? this.config.apiKey : this.config.user;
  }

  /** The sender's ledger, settled to now: what a broadcast's deliveries are charged to. */
  ledger(sender: string): Ledger {
    const t = this.now();
    let ledger = this.ledgers.get(sender);
    if (ledger) ledger.settle(t);
    else this.ledgers.set(sender, (ledger = new Ledger(this.budgetOf(sender), t)));
    return ledger;
  }

  /** How many deliveries the sender is past its budget on this node now; 0 when it is within it. */
  debt(sender: string): number {
    const tokens = this.ledgers.get(sender)?.settle(this.now()) ?? 1;
    return tokens < 0 ? -tokens : 0;
  }

  /** The seconds until a debt is paid back at the sender's rate: what a refusal asks it to wait. */
  secondsToRepay(sender: string, debt: number): number {
    return Math.max(1, Math.ceil(debt / this.budgetOf(sender).ratePerS));
  }

  /** How much of its burst the sender has spent and not earned back: 0 idle, 1 all of it, above 1 in debt. */
  spentShare(sender: string): number {
    const ledger = this.ledgers.get(sender);
    if (!ledger) return 0;
    return (ledger.budget.burst - ledger.settle(this.now())) / ledger.budget.burst;
  }

  /** Forgets the ledgers that are full again (their senders idle for a burst's worth of time), so the map stays bounded. */
  sweep(): void {
    const t = this.now();
    for (const [sender, ledger] of this.ledgers) if (ledger.settle(t) >= ledger.budget.burst) this.ledgers.delete(sender);
  }

  get size(): number {
    return this.ledgers.size;
  }

  start(intervalMs = 10_000): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.sweep(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** The node's budgets, from its configuration, sweeping their idle ledgers. */
export function startDeliveryBudgets(config: Pick<Config, 'limits' | 'api'>): DeliveryBudgets {
  const budgets = new DeliveryBudgets({ user: config.limits.userDeliveries, apiKey: config.api.deliveriesPerKey });
  budgets.start();
  return budgets;
}

/**
 * The sender whose work the node is doing now, if any: what a broadcast made now is tagged with. An app's handler
 * broadcasts with plain Socket.IO (io.to(room).emit, socket.broadcast.emit), often after an await (the chat acks first),
 * so a user's sender stays current for the rest of the turn of the event loop that read its event: Socket.IO calls the
 * handler in a process.nextTick, and an await that needs no I/O resumes in a microtask of the same turn. It is cleared
 * once the turn's ticks and microtasks have all run (a microtask queued after the event's schedules the clearing tick,
 * which runs only when every microtask queued before it, and their own, has run). A broadcast made later, after a
 * timer or an I/O round trip, is charged to no one.
 */
let current: string | undefined;
let clearing = false;
const clear = () => {
  current = undefined;
  clearing = false;
};
const clearAfterTheMicrotasks = () => process.nextTick(clear);

/** The events handled in this turn of the event loop are `sender`'s: what their handlers broadcast is charged to it. */
export function handlingEventOf(sender: string): void {
  current = sender;
  if (clearing) return;
  clearing = true;
  queueMicrotask(clearAfterTheMicrotasks);
}

/** Runs `fn` (synchronous) with its broadcasts charged to `sender`: the backend API's publish. */
export function sendingAs<T>(sender: string, fn: () => T): T {
  const previous = current;
  current = sender;
  try {
    return fn();
  } finally {
    current = previous;
  }
}

/** The options an adapter's broadcast takes (socket.io-adapter 2.5's BroadcastOptions). */
export interface BroadcastOpts {
  readonly flags?: Readonly<Record<string, unknown>>;
}

/** The broadcast's options with the current sender in its flags, or as they are when there is none. */
export function withSender<O extends BroadcastOpts>(opts: O): O {
  if (current === undefined) return opts;
  return { ...opts, flags: { ...opts.flags, [SENDER_FLAG]: current } };
}

/** The sender a broadcast carries, if any (from this node or another). */
export function senderOf(opts: BroadcastOpts | undefined): string | undefined {
  const sender = opts?.flags?.[SENDER_FLAG];
  return typeof sender === 'string' ? sender : undefined;
}
