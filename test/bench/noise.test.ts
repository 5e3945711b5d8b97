import { describe, expect, it } from 'vitest';
import { type CpuClock, HEAP_NOISE_BYTES, noiseBoundCores, otherCpu, perConnection, RSS_NOISE_BYTES } from '../../bench/noise';
import { machineBusyUs } from '../../tools/procstat';

/** A clock the test moves: each read of a field takes the next value. */
function fakeClock(values: { machine: number[]; self: number[]; now: number[] }): CpuClock {
  const next = (xs: number[]) => () => xs.shift()!;
  return { machineBusyUs: next(values.machine), selfCpuUs: next(values.self), nowMs: next(values.now) };
}

describe('perConnection', () => {
  it('divides a growth above the floor, in the unit asked for', () => {
    expect(perConnection(5 * 1024 * 1024, 400, RSS_NOISE_BYTES, 1024)).toBe(12.8);
    expect(perConnection(400 * 15_000, 400, HEAP_NOISE_BYTES)).toBe(15_000);
  });

  it('gives no figure (below the noise) for a growth under the floor, negative included', () => {
    expect(perConnection(-2.2 * 1024 * 400, 400, RSS_NOISE_BYTES, 1024)).toBeNull();
    expect(perConnection(RSS_NOISE_BYTES - 1, 400, RSS_NOISE_BYTES, 1024)).toBeNull();
    expect(perConnection(0, 400, HEAP_NOISE_BYTES)).toBeNull();
    expect(perConnection(RSS_NOISE_BYTES, 0, RSS_NOISE_BYTES)).toBeNull();
  });
});

describe('otherCpu', () => {
  it('is the machine busy time less the bench servers, workers and this process, over the wall time', () => {
    // 2 s: the machine was busy 3 s of CPU; servers and workers took 1 s, this process 0.5 s: others 1.5 s = 0.75 cores.
    const clock = fakeClock({ machine: [10e6, 13e6], self: [1e6, 1.5e6], now: [1_000, 3_000] });
    expect(otherCpu(clock).stop(1e6)).toBe(0.75);
  });

  it('is never negative: clock ticks can make the parts add up to more than the machine saw', () => {
    const clock = fakeClock({ machine: [0, 1e6], self: [0, 0.02e6], now: [0, 1_000] });
    expect(otherCpu(clock).stop(1e6)).toBe(0);
  });

  it('reads the real machine: busy time only grows, and the others are a finite share of the cores', () => {
    const first = machineBusyUs();
    expect(machineBusyUs()).toBeGreaterThanOrEqual(first);
    const window = otherCpu();
    const others = window.stop(0);
    expect(Number.isFinite(others) && others >= 0).toBe(true);
  });

  it('states its bound as a share of the cores', () => {
    expect(noiseBoundCores(2)).toBe(0.5);
    expect(noiseBoundCores(8)).toBe(2);
  });
});
