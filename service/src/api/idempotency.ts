import { withTimeout } from '../deadline';

/** What the first publish with a key left: its id, and a fingerprint of its request. */
export interface Claim {
  readonly id: string;
  readonly fingerprint: string;
}

/** Remembers each idempotencyKey for the window; the first claim wins, cluster-wide. */
export interface IdempotencyStore {
  /** Undefined when this call claimed the key; otherwise the earlier claim. */
  claim(key: string, claim: Claim): Promise<Claim | undefined>;
  close(): void;
}

export const IDEMPOTENCY_KEY_PREFIX = 'sio:api:idem:';

/** Runs one Redis command on the adapter's publishing client (a client or a cluster client). */
export type RedisCommand = (key: string, args: string[]) => Promise<unknown>;

const encode = (c: Claim) => `${c.id} ${c.fingerprint}`;
const decode = (s: string): Claim => {
  const [id, fingerprint = ''] = s.split(' ');
  return { id, fingerprint };
};

/**
 * One `SET key value NX PX window GET` per publish: atomic on the one Redis every node shares,
 * so two nodes receiving the same retry at once cannot both deliver it (Redis 7.0+, which
 * ElastiCache's pinned Valkey 8.0 and Redis 7.1 are).
 */
export function redisStore(command: RedisCommand, windowMs: number, timeoutMs: number): IdempotencyStore {
  return {
    async claim(key, claim) {
      const redisKey = `${IDEMPOTENCY_KEY_PREFIX}${key}`;
      const previous = await withTimeout(
        command(redisKey, ['SET', redisKey, encode(claim), 'NX', 'PX', String(windowMs), 'GET']),
        timeoutMs,
      );
      return previous === null || previous === undefined ? undefined : decode(String(previous));
    },
    close() {},
  };
}

/**
 * Without Redis there is one node, so a map is cluster-wide. Bounded: past `maxEntries` the
 * oldest keys are forgotten early (the window then shrinks under that load; docs/api.md).
 */
export function memoryStore(windowMs: number, maxEntries = 100_000, now = () => Date.now()): IdempotencyStore {
  const entries = new Map<string, Claim & { expiresAt: number }>();
  const sweep = setInterval(
    () => {
      const t = now();
      for (const [k, v] of entries) if (v.expiresAt <= t) entries.delete(k);
    },
    Math.min(windowMs, 60_000),
  );
  sweep.unref();
  return {
    async claim(key, claim) {
      const existing = entries.get(key);
      if (existing && existing.expiresAt > now()) return { id: existing.id, fingerprint: existing.fingerprint };
      entries.delete(key);
      entries.set(key, { ...claim, expiresAt: now() + windowMs });
      if (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
      return undefined;
    },
    close() {
      clearInterval(sweep);
    },
  };
}
