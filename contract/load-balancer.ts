/**
 * What the ALB (infra/load-balancer.ts) and its local stand-in, HAProxy (local/haproxy.ts), agree
 * on: how long a client stays stuck to its task.
 */
import { DEFAULT_PING_INTERVAL_MS, DEFAULT_PING_TIMEOUT_MS } from './env';

/**
 * How far a client's clock may run ahead of the load balancer's. The ALB's stickiness cookie
 * carries an absolute `Expires`, which a browser compares with its own clock: a cookie that lives
 * shorter than the client's lead is expired on arrival, and every poll of that client goes to a
 * task chosen afresh. A design input: device clocks synchronised over the network are seconds apart.
 */
export const CLIENT_CLOCK_LEAD_MS = 5 * 60_000;

/**
 * Lifetime of the stickiness cookie. The ALB resets its expiry after every request, so an
 * Engine.IO session keeps its task as long as no two of its requests are further apart than this,
 * and a live session makes one at least every heartbeat (pingInterval + pingTimeout: a long poll
 * returns with each ping). Add the clock lead and no more: a client that connects again after this
 * long without a request (every WebSocket client connected that long, whose last request was its
 * upgrade) is balanced afresh, so after a scale-out reconnects reach the new tasks.
 */
export function stickinessDurationMs(heartbeatMs: number, clockLeadMs = CLIENT_CLOCK_LEAD_MS): number {
  return heartbeatMs + clockLeadMs;
}

/** With Socket.IO's default heartbeat (25 s + 20 s): 345 s. */
export const DEFAULT_STICKINESS_DURATION_MS = stickinessDurationMs(DEFAULT_PING_INTERVAL_MS + DEFAULT_PING_TIMEOUT_MS);
