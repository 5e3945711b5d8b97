import type { SoakProgress, SoakReport } from './soak';

const mb = (kb: number | null) => (kb === null ? 'n/a' : `${Math.round(kb / 1024)} MB`);

/** One progress line, every progress interval. */
export function formatSoakProgress(p: SoakProgress): string {
  const rss = Object.entries(p.rssKb)
    .map(([n, kb]) => `${n} ${mb(kb)}`)
    .join(', ');
  const counts = `connections ${p.connected}, sent ${p.sent}, delivered ${p.delivered}/${p.expected}`;
  return `[${p.elapsedS}s] ${counts}, p99 ${p.p99Ms} ms, rss ${rss}`;
}

/** The summary printed at the end of a soak. */
export function formatSoakSummary(r: SoakReport): string {
  const { options: o } = r;
  const nodes = Object.keys(r.memory[0]?.rssKb ?? {});
  const first = r.memory[0];
  const last = r.memory.at(-1);
  return [
    `soak: ${o.connections} connections on ${o.nodes} nodes (${o.adapter} adapter), ${r.rooms} rooms of ~${o.roomSize}, ` +
      `${o.ratePerS} msgs/s for ${r.elapsedMs / 1000} s (seed ${o.seed})`,
    `sent ${r.sent} (rejected ${r.rejected}${rejectedCodes(r)}); ` +
      `delivered ${r.delivered} of ${r.expected} expected = ${r.deliveredPct} %; ` +
      `duplicates ${r.duplicates}, unexpected ${r.unexpected}, disconnects ${r.disconnects}`,
    `latency p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms, max ${r.latencyMs.max} ms`,
    `memory (RSS per node, ${r.memory.length} samples):`,
    ...nodes.map(
      (n) =>
        `  ${n}: ${mb(first?.rssKb[n] ?? null)} -> ${mb(last?.rssKb[n] ?? null)}; samples ${r.memory.map((m) => mb(m.rssKb[n])).join(' ')}`,
    ),
  ].join('\n');
}

/** `: overloaded 3, no answer 1`, the rejections by code; empty when there were none. */
function rejectedCodes(r: SoakReport): string {
  const codes = Object.entries(r.rejectedBy);
  return codes.length === 0 ? '' : `: ${codes.map(([code, n]) => `${code} ${n}`).join(', ')}`;
}
