/** Capped exponential backoff with jitter that never gives up. */
export function reconnectDelayMs(retries: number, maxDelayMs: number, random = Math.random): number {
  const base = Math.min(maxDelayMs, 50 * 2 ** Math.min(retries, 16));
  return Math.round(base / 2 + (random() * base) / 2);
}

/** Commands waiting for Redis, per client: bounds memory under overload and while offline. */
export const COMMAND_QUEUE_MAX = 10_000;

/** Finds half-open connections (a failover, a silent network drop) that TCP alone would hide. */
export const PING_INTERVAL_MS = 10_000;
