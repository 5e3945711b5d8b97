import type { Server, ServerOptions, Socket } from 'socket.io';
import type { Metrics } from '../metrics/publisher';
import { type BroadcastInternals, installFastBroadcast } from './fast-broadcast';

/** `apply` is private in the adapter's types; it is what every broadcast walks its target sockets with. */
interface Walker {
  apply(opts: unknown, fn: (socket: Socket) => void): void;
}

const counted = new WeakSet<object>();

/**
 * Installs `adapter` on the server (without one, keeps the in-memory adapter Socket.IO made) and
 * counts its deliveries. The count wraps the adapter instance, and io.adapter() replaces that
 * instance (once Redis is connected), so every install goes through here: it is the app's only
 * call to io.adapter(). Installing the same instance twice counts it once. The broadcast fast path
 * (fast-broadcast.ts) goes on the same instance.
 */
export function installAdapter(io: Server, metrics: Pick<Metrics, 'increment'>, adapter?: ServerOptions['adapter']): void {
  if (adapter) io.adapter(adapter);
  const instance = io.of('/').adapter as unknown as Walker;
  if (counted.has(instance)) return;
  counted.add(instance);
  countDeliveries(instance, metrics);
  // After the count: the fast path's writer is what the count's wrapper of `apply` calls, so fast writes are counted too.
  installFastBroadcast(instance as unknown as BroadcastInternals);
}

/**
 * Counts each delivery as it is written: `apply` is what every broadcast, local or from another
 * node, walks its target sockets with (streams mode may write some of them a moment later,
 * adapters/exactly-once-recovery.ts). The app broadcasts only chat messages.
 */
function countDeliveries(adapter: Walker, metrics: Pick<Metrics, 'increment'>): void {
  const apply = adapter.apply.bind(adapter);
  adapter.apply = (opts, fn) =>
    apply(opts, (socket) => {
      metrics.increment('messagesDelivered');
      fn(socket);
    });
}
