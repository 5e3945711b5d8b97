import { createHash, randomUUID } from 'node:crypto';
import { createClient } from 'redis';
import { describe, expect, it } from 'vitest';
import { ASSUMPTIONS } from '../../../bench/capacity';
import { startRedisServer } from '../../../local/redis-server';
import { IDEMPOTENCY_KEY_PREFIX, memoryStore, redisStore } from '../../../service/src/api/idempotency';
import { canonicalJson } from '../../../service/src/api/publish';

describe('memoryStore', () => {
  it('keeps the first claim for the window, then forgets it', async () => {
    let now = 0;
    const store = memoryStore(1_000, 10, () => now);
    expect(await store.claim('k', { id: 'a', fingerprint: 'f' })).toBeUndefined();
    now = 999;
    expect(await store.claim('k', { id: 'b', fingerprint: 'g' })).toEqual({ id: 'a', fingerprint: 'f' });
    now = 1_000;
    expect(await store.claim('k', { id: 'c', fingerprint: 'h' })).toBeUndefined();
    store.close();
  });

  it('forgets the oldest keys first past its bound', async () => {
    const store = memoryStore(60_000, 2);
    for (const k of ['1', '2', '3']) await store.claim(k, { id: k, fingerprint: '' });
    expect(await store.claim('1', { id: 'again', fingerprint: '' })).toBeUndefined();
    expect(await store.claim('3', { id: 'again', fingerprint: '' })).toEqual({ id: '3', fingerprint: '' });
    store.close();
  });
});

describe('canonicalJson', () => {
  it('is the same for the same value whatever the key order', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: null }] })).toBe(canonicalJson({ a: [{ c: null, d: 2 }], b: 1 }));
    expect(canonicalJson({ a: 1 })).not.toBe(canonicalJson({ a: '1' }));
  });
});

describe('redisStore: what one remembered key costs Redis', () => {
  it('takes at most the bytes docs/api.md and the capacity model count, the longest key included', { timeout: 60_000 }, async () => {
    const redis = await startRedisServer();
    const client = createClient({ url: redis.url });
    try {
      await client.connect();
      const store = redisStore((_key, args) => client.sendCommand(args), 300_000, 5_000);
      const used = async () => Number(/used_memory:(\d+)/.exec(String(await client.sendCommand(['INFO', 'memory'])))![1]);
      // The longest idempotencyKey (128 characters), and just past a power of two of keys: the hash tables (the keys' and
      // their expiries') have just doubled, so each key's share of them is the largest it gets.
      const keys = 16_500;
      const key = (i: number) => `${i}-`.padEnd(128, 'k');
      const claim = (i: number) => {
        const fingerprint = createHash('sha256').update(String(i)).digest('base64url');
        return store.claim(key(i), { id: randomUUID(), fingerprint });
      };
      const before = await used();
      for (let i = 0; i < keys; i += 500) await Promise.all(Array.from({ length: 500 }, (_, j) => claim(i + j)));
      const perKey = ((await used()) - before) / keys;
      const memoryUsage = Number(await client.sendCommand(['MEMORY', 'USAGE', `${IDEMPOTENCY_KEY_PREFIX}${key(7)}`]));
      console.log(
        `one idempotency key of 128 characters: MEMORY USAGE ${memoryUsage} B, used_memory over ${keys} keys ${perKey.toFixed(0)} B`,
      );
      expect(await client.dbSize()).toBe(keys);
      expect(memoryUsage).toBeLessThanOrEqual(perKey);
      expect(perKey).toBeLessThanOrEqual(ASSUMPTIONS.redisBytesPerIdempotencyKey);
      // And not far below it: the figure is a measurement, not a guess with room to spare.
      expect(perKey).toBeGreaterThan(ASSUMPTIONS.redisBytesPerIdempotencyKey * 0.85);
      store.close();
    } finally {
      await client.quit().catch(() => undefined);
      await redis.stop();
    }
  });
});
