/** One clock for every bucket: a bound function per bucket would be four more objects per connection. */
const monotonicNow = performance.now.bind(performance);

/** A token bucket: `ratePerS` tokens a second, holding at most `burst`. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly ratePerS: number,
    private readonly burst: number,
    private readonly now: () => number = monotonicNow,
  ) {
    this.tokens = burst;
    this.last = now();
  }

  /** Takes `n` tokens if it holds them (one packet, or a packet's bytes); false, taking none, otherwise. */
  take(n = 1): boolean {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.ratePerS);
    this.last = t;
    if (this.tokens < n) return false;
    this.tokens -= n;
    return true;
  }
}

/**
 * One bucket per key (a user), shared by all of that key's sockets on this node,
 * and dropped with its last socket so that the map cannot grow without bound.
 */
export class SharedBuckets {
  private readonly entries = new Map<string, { bucket: TokenBucket; refs: number }>();

  constructor(private readonly make: () => TokenBucket) {}

  acquire(key: string): TokenBucket {
    let entry = this.entries.get(key);
    if (!entry) this.entries.set(key, (entry = { bucket: this.make(), refs: 0 }));
    entry.refs++;
    return entry.bucket;
  }

  release(key: string): void {
    const entry = this.entries.get(key);
    if (entry && --entry.refs <= 0) this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}
