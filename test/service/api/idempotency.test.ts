import { describe, expect, it } from 'vitest';
import { memoryStore } from '../../../service/src/api/idempotency';
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
