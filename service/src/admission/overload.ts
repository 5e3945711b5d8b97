/**
 * Tells when the event loop runs late enough that accepting more work only makes every
 * message later. Measured as the drift of a short timer, smoothed so that one slow tick
 * does not flip it.
 */
export class LagMonitor {
  private smoothedMs = 0;
  private expected = 0;
  private timer?: NodeJS.Timeout;

  constructor(
    /** Smoothed lag above which the node counts as overloaded; 0 turns shedding off. */
    private readonly thresholdMs: number,
    private readonly intervalMs = 50,
    private readonly now: () => number = performance.now.bind(performance),
  ) {}

  start(): void {
    if (this.thresholdMs <= 0 || this.timer) return;
    this.expected = this.now() + this.intervalMs;
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One timer tick: how late it fired feeds the smoothed lag. Public for tests. */
  tick(): void {
    const t = this.now();
    const lag = Math.max(0, t - this.expected);
    this.expected = t + this.intervalMs;
    // Rises within a few ticks of a stall, falls as fast once the loop catches up.
    this.smoothedMs = this.smoothedMs * 0.5 + lag * 0.5;
  }

  get lagMs(): number {
    return this.smoothedMs;
  }

  /**
   * Overloaded when the smoothed lag is above the threshold, or when the next tick is already that
   * late: a saturated loop works through one long batch of reads before the timer can fire, and
   * every message late in that batch is known to be late without waiting for the tick.
   */
  overloaded(): boolean {
    return this.pressure() > 1;
  }

  /**
   * How late the loop runs, in thresholds: the larger of the smoothed lag and how overdue the next tick is, over the
   * threshold (0 when shedding is off). Above 1 the node is overloaded; how far above says whose events it sheds
   * (admission/event-limits.ts: the heaviest senders first, everyone's from 2 on).
   */
  pressure(): number {
    if (this.thresholdMs <= 0) return 0;
    const overdue = this.timer !== undefined ? this.now() - this.expected : 0;
    return Math.max(this.smoothedMs, overdue) / this.thresholdMs;
  }
}
