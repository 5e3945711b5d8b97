/**
 * Seeded randomness for the soak and the fuzz test: the same seed gives the same sequence, so
 * a run is replayed by passing its seed again.
 */
export type Rng = () => number;

/** mulberry32: a 32-bit state, uniform in [0, 1); small, fast, and good enough to spread inputs (not for secrets). */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seed for a run that was given none; reported, so that the run can be replayed. */
export const randomSeed = () => Math.floor(Math.random() * 2 ** 31);

/** An integer from `min` to `max`, both included. */
export const int = (r: Rng, min: number, max: number) => min + Math.floor(r() * (max - min + 1));

export const pick = <T>(r: Rng, items: readonly T[]): T => items[Math.floor(r() * items.length)];
