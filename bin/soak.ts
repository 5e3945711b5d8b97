// `npm run soak -- --connections N --minutes M [--nodes 3] [--adapter pubsub|streams] [--rate msgs/s] [--out file.json]`
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { MissingBinaryError } from '../local/processes';
import { runSoak, type SoakAdapter, type SoakReport } from '../local/soak';

class UsageError extends Error {}

function number(value: string | undefined, name: string, fallback: number, check: (n: number) => boolean): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || !check(n)) throw new UsageError(`--${name} ${JSON.stringify(value)} is out of range`);
  return n;
}

const mb = (kb: number | null) => (kb === null ? 'n/a' : `${Math.round(kb / 1024)} MB`);

function summary(r: SoakReport): string {
  const nodes = Object.keys(r.memory[0]?.rssKb ?? {});
  const first = r.memory[0];
  const last = r.memory.at(-1);
  return [
    `soak: ${r.options.connections} connections on ${r.options.nodes} nodes (${r.options.adapter} adapter), ${r.rooms} rooms of ~${r.options.roomSize}, ${r.options.ratePerS} msgs/s for ${r.elapsedMs / 1000} s (seed ${r.options.seed})`,
    `sent ${r.sent} (rejected ${r.rejected}); delivered ${r.delivered} of ${r.expected} expected = ${r.deliveredPct} %; duplicates ${r.duplicates}, unexpected ${r.unexpected}, disconnects ${r.disconnects}`,
    `latency p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms, max ${r.latencyMs.max} ms`,
    `memory (RSS per node, ${r.memory.length} samples):`,
    ...nodes.map(
      (n) =>
        `  ${n}: ${mb(first?.rssKb[n] ?? null)} -> ${mb(last?.rssKb[n] ?? null)}; samples ${r.memory.map((m) => mb(m.rssKb[n])).join(' ')}`,
    ),
  ].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      connections: { type: 'string' },
      minutes: { type: 'string' },
      nodes: { type: 'string' },
      adapter: { type: 'string' },
      rate: { type: 'string' },
      'room-size': { type: 'string' },
      seed: { type: 'string' },
      out: { type: 'string' },
    },
  });
  if (values.connections === undefined || values.minutes === undefined) throw new UsageError('--connections and --minutes are required');
  const connections = number(values.connections, 'connections', 0, (n) => Number.isInteger(n) && n >= 2 && n <= 20_000);
  const minutes = number(values.minutes, 'minutes', 0, (n) => n > 0 && n <= 24 * 60);
  const nodes = number(values.nodes, 'nodes', 3, (n) => Number.isInteger(n) && n >= 1 && n <= 16);
  const ratePerS = number(values.rate, 'rate', 50, (n) => n > 0 && n <= 10_000);
  const roomSize = number(values['room-size'], 'room-size', 10, (n) => Number.isInteger(n) && n >= 1);
  const seed = values.seed === undefined ? undefined : number(values.seed, 'seed', 0, Number.isInteger);
  const adapter = (values.adapter ?? 'pubsub') as SoakAdapter;
  if (adapter !== 'pubsub' && adapter !== 'streams') throw new UsageError('--adapter must be pubsub or streams');

  // Ctrl-C ends the sending early; the cluster is still stopped and the report still printed.
  const abort = new AbortController();
  process.once('SIGINT', () => abort.abort());
  process.once('SIGTERM', () => abort.abort());

  const report = await runSoak({
    connections,
    durationMs: minutes * 60_000,
    nodes,
    adapter,
    ratePerS,
    roomSize,
    seed,
    signal: abort.signal,
    onProgress: (p) => {
      const rss = Object.entries(p.rssKb)
        .map(([n, kb]) => `${n} ${mb(kb)}`)
        .join(', ');
      process.stdout.write(
        `[${p.elapsedS}s] connections ${p.connected}, sent ${p.sent}, delivered ${p.delivered}/${p.expected}, p99 ${p.p99Ms} ms, rss ${rss}\n`,
      );
    },
  });
  process.stdout.write(`${summary(report)}\n`);
  if (values.out) {
    writeFileSync(values.out, `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(`report written to ${values.out}\n`);
  }
  if (report.delivered !== report.expected) process.exitCode = 2;
}

main().catch((err: unknown) => {
  if (err instanceof UsageError || err instanceof MissingBinaryError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(64);
  }
  process.stderr.write(`soak failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
