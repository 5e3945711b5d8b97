import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

const RESOLUTION_MS = 10;

/** Samples the event loop's delay between collections; its p99 is the EventLoopDelay metric. */
export class EventLoopDelay {
  private histogram?: IntervalHistogram;
  private lastP99Ms = 0;

  /** Starts sampling; false when it already runs. */
  start(): boolean {
    if (this.histogram) return false;
    this.histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
    this.histogram.enable();
    return true;
  }

  stop(): void {
    this.histogram?.disable();
  }

  /** The p99 since the last take, and starts the next interval. No samples means no measurement, not zero delay. */
  take(): number | undefined {
    const p99 = this.read();
    if (p99 !== undefined) this.lastP99Ms = p99;
    this.histogram?.reset();
    return p99;
  }

  /** The p99 so far this interval, else the last interval's. */
  current(): number {
    return this.read() ?? this.lastP99Ms;
  }

  private read(): number | undefined {
    if (!this.histogram || this.histogram.count === 0) return undefined;
    return this.histogram.percentile(99) / 1e6;
  }
}
