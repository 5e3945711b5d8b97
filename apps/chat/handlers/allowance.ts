/**
 * At most `burst` uses in any window of `burst / ratePerS` seconds: a cheap guard for a costly event (a presence query
 * asks every node). Keeps the times of the last uses, oldest first.
 */
export class Allowance {
  private readonly uses: number[] = [];
  private readonly windowMs: number;

  constructor(private readonly limit: { readonly ratePerS: number; readonly burst: number }) {
    this.windowMs = (limit.burst / limit.ratePerS) * 1_000;
  }

  /** Records a use and answers true, or answers false (recording nothing) when the window is full. */
  use(now = performance.now()): boolean {
    while (this.uses.length > 0 && now - this.uses[0] >= this.windowMs) this.uses.shift();
    if (this.uses.length >= this.limit.burst) return false;
    this.uses.push(now);
    return true;
  }
}
