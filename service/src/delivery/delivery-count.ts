import type { Namespace, Server, ServerOptions, Socket } from 'socket.io';
import type { Metrics } from '../metrics/publisher';
import { type BroadcastInternals, installFastBroadcast } from './fast-broadcast';

/** `apply` is private in the adapter's types; it is what every broadcast walks its target sockets with. */
interface Walker {
  apply(opts: unknown, fn: (socket: Socket) => void): void;
}

const counted = new WeakSet<object>();
const watched = new WeakSet<Server>();

/**
 * Installs `adapter` on the server (without one, keeps the in-memory adapters Socket.IO made) and counts the
 * deliveries of every namespace's adapter, the app's namespaces' too. The count wraps each adapter instance, and
 * io.adapter() replaces them all (once Redis is connected), so every install goes through here: it is the platform's
 * only call to io.adapter(). An instance is counted once however often it is seen; a namespace made later is counted
 * when it is made. The broadcast fast path (fast-broadcast.ts) goes on the same instances.
 */
export function installAdapter(io: Server, metrics: Pick<Metrics, 'increment'>, adapter?: ServerOptions['adapter']): void {
  if (adapter) io.adapter(adapter);
  for (const nsp of io._nsps.values()) instrument(nsp, metrics);
  if (watched.has(io)) return;
  watched.add(io);
  io.on('new_namespace', (nsp) => instrument(nsp, metrics));
}

function instrument(nsp: Namespace, metrics: Pick<Metrics, 'increment'>): void {
  const instance = nsp.adapter as unknown as Walker;
  if (counted.has(instance)) return;
  counted.add(instance);
  countDeliveries(instance, metrics);
  // After the count: the fast path's writer is what the count's wrapper of `apply` calls, so fast writes are counted too.
  installFastBroadcast(instance as unknown as BroadcastInternals);
}

/**
 * Counts each delivery as it is written: `apply` is what every broadcast, local or from another
 * node, walks its target sockets with (streams mode may write some of them a moment later,
 * adapters/exactly-once-recovery.ts).
 */
function countDeliveries(adapter: Walker, metrics: Pick<Metrics, 'increment'>): void {
  const apply = adapter.apply.bind(adapter);
  adapter.apply = (opts, fn) =>
    apply(opts, (socket) => {
      metrics.increment('messagesDelivered');
      fn(socket);
    });
}
