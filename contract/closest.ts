/** Edit distance (insertions, deletions, substitutions) between two strings. */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length];
}

/**
 * The name in `names` that `name` was most likely meant to be, for a "did you mean …?": the same in
 * another case, or an edit or two away (one for names of 4 to 7 characters, none under 4), so that a
 * suggestion is a likely typo and not just any short name. Shared by the deployment config's keys and the API's fields.
 */
export function closestName<T extends string>(name: string, names: readonly T[]): T | undefined {
  const lower = name.toLowerCase();
  return (
    names.find((n) => n.toLowerCase() === lower) ??
    names
      .map((n) => ({ n, d: distance(lower, n.toLowerCase()) }))
      .filter(({ n, d }) => d <= Math.min(2, Math.floor(n.length / 4)))
      .sort((a, b) => a.d - b.d)[0]?.n
  );
}
