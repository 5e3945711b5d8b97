import type { Server } from 'socket.io';

/** How often the spread closes its next few transports. */
export const SPREAD_TICK_MS = 100;

/**
 * Closes the connections open now, evenly over the time left until
 * `deadline()`: N sockets over S seconds is N/S a second, so at a spread of 5 s or more no
 * more than a fifth of them reconnect elsewhere in any one second, whether the node holds 5
 * sockets or 20 000. The deadline is read again at every tick, so that a SIGTERM can bring it
 * forward. Closing the transport (not socket.disconnect()) is what makes Socket.IO clients
 * reconnect by themselves, and lets streams mode recover their session on another node.
 */
export async function spreadDisconnects(io: Server, deadline: () => number): Promise<number> {
  // Connections, not sockets: one connection may hold sockets in several of the app's namespaces.
  const { clients } = io.engine as unknown as { clients: Record<string, { readyState: string; close(): void }> };
  const pending = Object.values(clients);
  const total = pending.length;
  // Fractions of a socket carried from tick to tick, so that few sockets are spread too.
  let quota = 0;
  while (pending.length > 0) {
    const left = deadline() - Date.now();
    quota += left <= SPREAD_TICK_MS ? pending.length : (pending.length * SPREAD_TICK_MS) / left;
    const now = Math.min(pending.length, Math.floor(quota));
    quota -= now;
    for (const conn of pending.splice(0, now)) if (conn.readyState === 'open') conn.close();
    if (pending.length > 0) await new Promise((resolve) => setTimeout(resolve, SPREAD_TICK_MS));
  }
  return total;
}
