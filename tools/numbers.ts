/** `n` rounded to `digits` decimals, for reports: round(1.23456, 2) = 1.23. */
export const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;

/** null for NaN and ±Infinity, which JSON cannot hold. */
export const finiteOrNull = (n: number) => (Number.isFinite(n) ? n : null);
