/** `n` rounded to `digits` decimals, for reports: round(1.23456, 2) = 1.23. */
export const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;

/** null for NaN and ±Infinity, which JSON cannot hold. */
export const finiteOrNull = (n: number) => (Number.isFinite(n) ? n : null);

/** a over b to 3 decimals, or null when either is missing or b is 0: the ratio columns of the bench's reports. */
export const ratio = (a: number | null | undefined, b: number | null | undefined) =>
  a != null && b != null && b !== 0 ? round(a / b, 3) : null;
