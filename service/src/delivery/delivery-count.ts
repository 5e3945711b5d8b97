import type { Namespace, Server, ServerOptions, Socket } from 'socket.io';
import type { Metrics } from '../metrics/publisher';
import { type BroadcastOpts, type DeliveryBudgets, senderOf, withSender } from './delivery-budget';
import { type BroadcastInternals, installFastBroadcast } from './fast-broadcast';

/**
 * `apply` is private in the adapter's types; it is what every broadcast walks its target sockets with. `broadcast` and
 * `broadcastWithAck` are what an emit to a room or to everyone calls (a broadcast from another node reaches `apply`
 * through the adapter's own class, not these).
 */
interface Walker {
  apply(opts: BroadcastOpts, fn: (socket: Socket) => void): void;
  broadcast(packet: unknown, opts: BroadcastOpts): unknown;
  broadcastWithAck(packet: unknown, opts: BroadcastOpts, ...rest: unknown[]): unknown;
}

type Counting = Pick<Metrics, 'increment'>;

const counted = new WeakSet<object>();
const watched = new WeakSet<Server>();

/**
 * Installs `adapter` on the server (without one, keeps the in-memory adapters Socket.IO made) and counts the
 * deliveries of every namespace's adapter, the app's namespaces' too, charging each to its sender's delivery budget
 * (delivery-budget.ts) when one is given. The count wraps each adapter instance, and io.adapter() replaces them all
 * (once Redis is connected), so every install goes through here: it is the platform's only call to io.adapter(). An
 * instance is counted once however often it is seen; a namespace made later is counted when it is made, with the
 * metrics and budgets of the first install. The broadcast fast path (fast-broadcast.ts) goes on the same instances.
 */
export function installAdapter(io: Server, metrics: Counting, adapter?: ServerOptions['adapter'], budgets?: DeliveryBudgets): void {
  if (adapter) io.adapter(adapter);
  if (!watched.has(io)) {
    watched.add(io);
    io.on('new_namespace', (nsp) => instrument(nsp, metrics, budgets));
  }
  for (const nsp of io._nsps.values()) instrument(nsp, metrics, budgets);
}

function instrument(nsp: Namespace, metrics: Counting, budgets: DeliveryBudgets | undefined): void {
  const instance = nsp.adapter as unknown as Walker;
  if (counted.has(instance)) return;
  counted.add(instance);
  countDeliveries(instance, metrics, budgets);
  // After the count: the fast path's writer is what the count's wrapper of `apply` calls, so fast writes are counted too.
  installFastBroadcast(instance as unknown as BroadcastInternals);
}

/**
 * Counts each delivery as it is written: `apply` is what every broadcast, local or from another node, walks its target
 * sockets with (streams mode may write some of them a moment later, adapters/exactly-once-recovery.ts). A broadcast
 * made on this node while a sender's work is under way carries that sender in its flags (to the other nodes too), and
 * its deliveries here are charged to the sender's ledger here; a broadcast whose sender is in debt on this node is not
 * written here at all (`BroadcastsDropped`).
 */
function countDeliveries(adapter: Walker, metrics: Counting, budgets: DeliveryBudgets | undefined): void {
  const apply = adapter.apply.bind(adapter);
  if (budgets) {
    const broadcast = adapter.broadcast.bind(adapter);
    const broadcastWithAck = adapter.broadcastWithAck.bind(adapter);
    adapter.broadcast = (packet, opts) => broadcast(packet, withSender(opts));
    adapter.broadcastWithAck = (packet, opts, ...rest) => broadcastWithAck(packet, withSender(opts), ...rest);
  }
  adapter.apply = (opts, fn) => {
    const sender = budgets && senderOf(opts);
    if (sender === undefined) {
      return apply(opts, (socket) => {
        metrics.increment('messagesDelivered');
        fn(socket);
      });
    }
    const ledger = budgets!.ledger(sender);
    if (ledger.tokens < 0) return void metrics.increment('broadcastsDropped');
    apply(opts, (socket) => {
      metrics.increment('messagesDelivered');
      ledger.tokens--;
      fn(socket);
    });
  };
}
