import { ratio, round } from '../tools/numbers';
import type { ApiBenchRow } from './api';
import { type BenchResult, keptUp, type ModeResult, type WindowResult, type WorkloadResult } from './run';
import type { BenchMode } from './servers';

/** The load at which the cross-node latency target is stated. */
export const TARGET_DELIVERIES_PER_S = 100_000;

/** The kept-up window (fixed or ramp) nearest the target load, on a log scale. */
export function nearestTarget(w: WorkloadResult): WindowResult | undefined {
  const kept = [w.fixed, ...w.ramp].filter(keptUp);
  const distance = (x: WindowResult) => Math.abs(Math.log(Math.max(1, x.deliveredPerS) / TARGET_DELIVERIES_PER_S));
  return kept.sort((a, b) => distance(a) - distance(b))[0];
}

/** The targets against stock Socket.IO (same adapter, Redis and message shape), ours over stock's. */
export const STOCK_TARGETS = {
  /** CPU per delivery, all server processes, per workload. */
  cpuPerDelivery: { fanout: 0.7, small: 0.85 } as Readonly<Record<string, number>>,
  /** Local and cross-node p99 at the fixed load. */
  p99: 1.1,
  /** Heap bytes per idle connection. */
  heapPerConn: 0.6,
  /** Delivered p99 at 2x the sustained load, in ms (absolute, for ours). */
  overloadP99Ms: 250,
} as const;

export interface Headline {
  /** Heap bytes per idle connection, the pubsub mode's over stock Socket.IO's (STOCK_TARGETS.heapPerConn). */
  readonly heapPerConnVsStock: number | null;
  /** The pubsub mode's CPU per delivery over stock Socket.IO's, per workload (STOCK_TARGETS.cpuPerDelivery). */
  readonly cpuVsStock: Record<string, number | null>;
  /** The pubsub mode's local and cross-node p99 over stock's at the fixed load (STOCK_TARGETS.p99). */
  readonly p99VsStock: Record<string, { local: number | null; cross: number | null }>;
  /** Cross-node minus local p99 in the pubsub mode, at the kept-up load nearest 100k deliveries/s (target ≤ 3 ms). */
  readonly crossMinusLocalP99Ms: Record<
    string,
    { deliveriesPerS: number; localP99: number | null; crossP99: number | null; diffMs: number | null } | null
  >;
  /** p99 of delivered messages at 2× the sustained load (target < 250 ms), the pubsub mode's ("ours") and stock's. */
  readonly overloadP99Ms: Record<
    string,
    {
      ours: number | null;
      stock: number | null;
      oursRssGrowthMB: number | null;
      stockRssGrowthMB: number | null;
      /** Share of the messages sent in the 2x window that our nodes refused with `overloaded`. */
      oursShedPct: number | null;
    }
  >;
}

/** Messages refused with `overloaded` over those sent, in percent. */
export const shedPct = (w: WindowResult) => (w.sent > 0 ? round((100 * w.shed) / w.sent, 1) : null);

const find = (r: BenchResult, mode: BenchMode) => r.results.find((m) => m.mode === mode && !m.error);
const wl = (m: ModeResult | undefined, name: string) => m?.workloads.find((w) => w.name === name);

export function headline(r: BenchResult): Headline {
  const ours = find(r, 'pubsub');
  const stock = find(r, 'stock');
  const names = r.sizes.workloads.map((w) => w.name);
  const cpuVsStock: Headline['cpuVsStock'] = {};
  const p99VsStock: Headline['p99VsStock'] = {};
  const crossMinusLocalP99Ms: Headline['crossMinusLocalP99Ms'] = {};
  const overloadP99Ms: Headline['overloadP99Ms'] = {};
  for (const name of names) {
    const o = wl(ours, name);
    const s = wl(stock, name);
    cpuVsStock[name] = ratio(o?.fixed.cpuUsPerDelivery, s?.fixed.cpuUsPerDelivery);
    p99VsStock[name] = {
      local: ratio(o?.fixed.localMs.p99, s?.fixed.localMs.p99),
      cross: ratio(o?.fixed.crossMs?.p99, s?.fixed.crossMs?.p99),
    };
    const at = o && nearestTarget(o);
    crossMinusLocalP99Ms[name] = at
      ? {
          deliveriesPerS: at.deliveredPerS,
          localP99: at.localMs.p99,
          crossP99: at.crossMs?.p99 ?? null,
          diffMs: at.crossMs?.p99 != null && at.localMs.p99 != null ? round(at.crossMs.p99 - at.localMs.p99, 2) : null,
        }
      : null;
    const growth = (w: WorkloadResult | undefined) => (w ? round(w.overload.rssMaxMB - w.overload.rssStartMB, 1) : null);
    overloadP99Ms[name] = {
      ours: o?.overload.latencyMs.p99 ?? null,
      stock: s?.overload.latencyMs.p99 ?? null,
      oursRssGrowthMB: growth(o),
      stockRssGrowthMB: growth(s),
      oursShedPct: o ? shedPct(o.overload) : null,
    };
  }
  const heapPerConnVsStock = ratio(ours?.idle?.heapPerConnB, stock?.idle?.heapPerConnB);
  return { heapPerConnVsStock, cpuVsStock, p99VsStock, crossMinusLocalP99Ms, overloadP99Ms };
}

function fmt(n: number | null | undefined, digits = 1): string {
  if (n == null || !Number.isFinite(n)) return '-';
  if (Math.abs(n) >= 10_000) return `${(n / 1000).toFixed(0)}k`;
  if (Math.abs(n) >= 1_000) return `${(n / 1000).toFixed(1)}k`;
  return n.toFixed(digits);
}

const x = (n: number | null) => (n == null ? '-' : `${n.toFixed(2)}x`);

/** Columns padded to their widest cell, the first two left-aligned, a rule under the header. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** The backend API's figures, each with its reference from the same run. */
export function formatApiRows(rows: ApiBenchRow[], error?: string): string {
  if (error) return `backend API: FAILED ${error.split('\n')[0]}`;
  const cells = rows.map((row) => [
    row.name,
    row.unit,
    String(row.value),
    row.ratio === undefined ? '' : `${row.ratio.toFixed(2)}x`,
    row.reference ? `vs ${row.reference}` : '',
  ]);
  return table(['backend API', 'unit', 'value', 'ratio', 'against'], cells);
}

/** Memory per idle connection, one row per mode: the heap figure against stock's and raw ws's, and RSS for reference. */
function memoryTable(r: BenchResult): string {
  const stock = find(r, 'stock')?.idle;
  const raw = find(r, 'raw-ws')?.idle;
  const rows = r.results
    .filter((m) => !m.error && m.idle)
    .map((m) => [
      m.label,
      String(m.idle!.connections),
      String(m.idle!.heapPerConnB),
      x(ratio(m.idle!.heapPerConnB, stock?.heapPerConnB)),
      x(ratio(m.idle!.heapPerConnB, raw?.heapPerConnB)),
      fmt(m.idle!.heapBaseMB, 1),
      fmt(m.idle!.rssPerConnKB, 1),
      fmt(m.idle!.setupPerS, 0),
    ]);
  return table(['mode', 'idle', 'heap B/conn', 'x(stock)', 'x(raw-ws)', 'heap base MB', 'RSS KB/conn', 'conn/s'], rows);
}

/** The human-readable summary: throughput and latency, then resources, then the targets. */
export function formatTable(r: BenchResult): string {
  const raw = find(r, 'raw-ws');
  const one = find(r, 'single-node');
  const out: string[] = [];
  const perf: string[][] = [];
  const res: string[][] = [];
  for (const m of r.results) {
    if (m.error) {
      perf.push([m.label, 'FAILED', m.error.split('\n')[0].slice(0, 60), ...Array(11).fill('')]);
      continue;
    }
    for (const w of m.workloads) {
      const a = wl(raw, w.name);
      const b = wl(one, w.name);
      perf.push([
        m.label,
        `${w.name} ${w.rooms}x${w.roomSize}`,
        `${fmt(w.capacity.deliveredPerS, 0)}${w.capacity.capped ? '+' : ''}`,
        x(ratio(w.capacity.deliveredPerS, a?.capacity.deliveredPerS)),
        x(ratio(w.capacity.deliveredPerS, b?.capacity.deliveredPerS)),
        fmt(w.capacity.sustainedDeliveredPerS, 0),
        fmt(w.fixed.latencyMs.p50, 2),
        fmt(w.fixed.latencyMs.p99, 2),
        fmt(w.fixed.latencyMs.max, 1),
        w.fixed.crossMs ? `${fmt(w.fixed.localMs.p99, 2)}/${fmt(w.fixed.crossMs.p99, 2)}` : '-',
        fmt(w.overload.latencyMs.p99, 1),
        fmt(shedPct(w.overload), 1),
        `${fmt(w.overload.rssStartMB, 0)}→${fmt(w.overload.rssMaxMB, 0)}`,
        String(w.overload.lostConnections),
      ]);
      res.push([
        m.label,
        w.name,
        fmt(w.fixed.cpuUsPerDelivery, 2),
        x(ratio(w.fixed.cpuUsPerDelivery, a?.fixed.cpuUsPerDelivery)),
        x(ratio(w.fixed.cpuUsPerDelivery, b?.fixed.cpuUsPerDelivery)),
        fmt(w.capacity.atSustained.cpuUsPerDelivery, 2),
        fmt(w.fixed.redisCores, 2),
        fmt(w.capacity.atSustained.loadMaxWorkerCores, 2),
      ]);
    }
  }
  out.push(
    table(
      [
        'mode',
        'workload',
        'cap/s',
        'x(raw-ws)',
        'x(single-node)',
        'sust/s',
        'p50ms',
        'p99ms',
        'maxms',
        'p99 loc/x',
        '2x p99',
        '2x shed %',
        '2x RSS MB',
        'lost',
      ],
      perf,
    ),
  );
  out.push('');
  out.push(table(['mode', 'workload', 'CPU us/dlv', 'x(raw-ws)', 'x(single-node)', 'at sust', 'redis cores', 'load max'], res));
  out.push('', memoryTable(r));
  if (r.api) out.push('', formatApiRows(r.api.rows, r.api.error));
  const h = headline(r);
  const t = STOCK_TARGETS;
  out.push('', `idle connection: heap ours/stock ${x(h.heapPerConnVsStock)} (target <= ${t.heapPerConn}x)`);
  for (const name of Object.keys(h.cpuVsStock)) {
    const c = h.crossMinusLocalP99Ms[name];
    const o = h.overloadP99Ms[name];
    out.push(
      `${name}: CPU/delivery ours/stock ${x(h.cpuVsStock[name])} (target <= ${t.cpuPerDelivery[name] ?? '-'}x); ` +
        `p99 ours/stock local ${x(h.p99VsStock[name].local)}, cross ${x(h.p99VsStock[name].cross)} (target <= ${t.p99}x); ` +
        (c ? `cross-local p99 ${fmt(c.diffMs, 2)} ms at ${fmt(c.deliveriesPerS, 0)} deliveries/s (target <= 3 ms at 100k/s); ` : '') +
        `2x p99 ours ${fmt(o.ours, 1)} ms (${fmt(o.oursShedPct, 1)} % shed), ` +
        `stock ${fmt(o.stock, 1)} ms (target < ${t.overloadP99Ms} ms); ` +
        `RSS growth ours ${fmt(o.oursRssGrowthMB, 1)} MB, stock ${fmt(o.stockRssGrowthMB, 1)} MB`,
    );
  }
  const { machine } = r;
  out.push(
    '',
    `ours: the pubsub mode; cap/s: most deliveries/s seen (+: ramp ended first); ` +
      `sust/s: highest load kept up with (>=95 % delivered, p99 < 100 ms); ` +
      `p50/p99/max and loc/x at the fixed load of ${fmt(r.sizes.fixedDeliveriesPerS, 0)} deliveries/s; ` +
      `2x: twice the sustained load for ${r.sizes.overloadMs / 1000} s, shed %: messages answered \`overloaded\` (not lost); ` +
      `CPU: all server processes incl. redis-server; ` +
      `load max: busiest load worker in cores (near 1.0 = the load generator was the limit); ` +
      `heap B/conn: growth of heapUsed + external after a full GC over ${fmt(r.sizes.idleConnections, 0)} idle connections, ` +
      `RSS KB/conn the RSS growth over them (depends on the pages mapped before: not a per-connection figure).`,
    `machine: ${machine.cpus} cores (${machine.model}), node ${machine.node}, ` +
      `load average ${machine.loadavgStart.join(' ')} → ${machine.loadavgEnd.join(' ')}; ${r.seconds} s`,
  );
  return out.join('\n');
}
