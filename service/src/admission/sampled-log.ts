import type { Logger } from '../logger';

/**
 * One kind of log line that an attacker can cause at will (a refused handshake, a closed
 * connection): at most `linesPerS` lines a second; the rest are counted, and one line with
 * `suppressed: n` follows the second in which they were left out. So a flood costs a bounded
 * number of lines, and every event is still accounted for.
 */
export class SampledLog {
  private windowStart = -Infinity;
  private lines = 0;
  private suppressed = 0;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly logger: Logger,
    private readonly level: 'info' | 'warn' | 'error',
    private readonly msg: string,
    private readonly linesPerS: number,
    private readonly now: () => number = Date.now,
  ) {}

  write(fields: Record<string, unknown>): void {
    const t = this.now();
    if (t - this.windowStart >= 1_000) {
      this.windowStart = t;
      this.lines = 0;
    }
    if (this.lines < this.linesPerS) {
      this.lines++;
      this.logger[this.level](fields, this.msg);
      return;
    }
    this.suppressed++;
    if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), Math.max(1, 1_000 - (t - this.windowStart)));
      this.timer.unref();
    }
  }

  /** Writes the summary of what was left out, if anything was. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.suppressed === 0) return;
    this.logger[this.level]({ suppressed: this.suppressed }, this.msg);
    this.suppressed = 0;
  }
}
