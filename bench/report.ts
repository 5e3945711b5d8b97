import { ratio, round } from '../tools/numbers';
import type { ApiBenchRow } from './api';
import { HEAP_NOISE_BYTES, NOISE_BOUND_SHARE, noiseBoundCores, RSS_NOISE_BYTES } from './noise';
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

export type Verdict = 'met' | 'not met' | 'too noisy to judge' | 'not measured';

/** One target of STOCK_TARGETS (or the absolute ones) against this run. */
export interface TargetCheck {
  /** What is compared, e.g. "CPU per delivery, ours/stock". */
  readonly target: string;
  /** The workload, or "idle" for the idle connections. */
  readonly workload: string;
  readonly value: number | null;
  readonly unit: 'x' | 'ms';
  /** The value must be at most this (under it when `strict`). */
  readonly limit: number;
  readonly strict: boolean;
  readonly verdict: Verdict;
  /** The most CPU other processes took in the windows the value came from, in cores; null when the figure does not depend on it. */
  readonly otherCores: number | null;
  /** Why, when the verdict is not plain: the noise, the load it was measured at, what it sits beside. */
  readonly note?: string;
}

/** How busy the machine was with other work while the bench measured. */
export interface NoiseSummary {
  /** Other processes above this many cores in a window make the targets measured in it too noisy to judge. */
  readonly boundCores: number;
  /** Other processes' CPU over every measured window, in cores. */
  readonly otherCoresMean: number | null;
  readonly otherCoresMax: number | null;
  /** The 1-minute load average over the cores before the run; the one at the end includes the bench's own processes. */
  readonly loadPerCoreStart: number;
}

export interface Verdicts {
  readonly noise: NoiseSummary;
  readonly targets: TargetCheck[];
  /** One sentence for a reader: how many targets were met, missed, too noisy to judge, and what to do next. */
  readonly conclusion: string;
}

/** The bench's JSON: the measurements, and the verdicts the printed summary gives. */
export type ReportedResult = BenchResult & { readonly verdicts: Verdicts };

/** The load at which the cross-node hop is judged must be near the target's: within this share of it. */
const TARGET_LOAD_SHARE = 0.8;
const CROSS_HOP_LIMIT_MS = 3;

function windowsOf(r: BenchResult): WindowResult[] {
  return r.results.flatMap((m) => m.workloads.flatMap((w) => [w.fixed, ...w.ramp, w.overload]));
}

export function noiseSummary(r: BenchResult): NoiseSummary {
  const others = windowsOf(r)
    .map((w) => w.otherCores)
    .filter((c): c is number => typeof c === 'number');
  return {
    boundCores: noiseBoundCores(r.machine.cpus),
    otherCoresMean: others.length ? round(others.reduce((a, b) => a + b, 0) / others.length, 2) : null,
    otherCoresMax: others.length ? round(Math.max(...others), 2) : null,
    loadPerCoreStart: round((r.machine.loadavgStart[0] ?? 0) / Math.max(1, r.machine.cpus), 2),
  };
}

/**
 * A value against its limit: not measured without a value, too noisy to judge when other processes took more
 * than `boundCores` in any window it came from, else met or not met.
 */
export function judge(
  value: number | null,
  limit: number,
  opts: { strict?: boolean; windows?: Array<WindowResult | undefined>; boundCores: number; missing?: string },
): { verdict: Verdict; otherCores: number | null; note?: string } {
  const measured = (opts.windows ?? []).map((w) => w?.otherCores).filter((c): c is number => typeof c === 'number');
  const otherCores = measured.length ? round(Math.max(...measured), 2) : null;
  if (value == null) return { verdict: 'not measured', otherCores, note: opts.missing };
  if (otherCores !== null && otherCores > opts.boundCores) {
    const note = `other processes took ${otherCores.toFixed(2)} cores in these windows (bound ${opts.boundCores})`;
    return { verdict: 'too noisy to judge', otherCores, note };
  }
  return { verdict: (opts.strict ? value < limit : value <= limit) ? 'met' : 'not met', otherCores };
}

/** Every target of this run, judged: STOCK_TARGETS against stock, the cross-node hop and the 2x p99 for ours. */
export function checkTargets(r: BenchResult): TargetCheck[] {
  const h = headline(r);
  const t = STOCK_TARGETS;
  const boundCores = noiseBoundCores(r.machine.cpus);
  const ours = find(r, 'pubsub');
  const stock = find(r, 'stock');
  const bothModes = 'needs the pubsub and stock modes in the same run';
  const checks: TargetCheck[] = [];
  const add = (
    target: string,
    workload: string,
    value: number | null,
    unit: TargetCheck['unit'],
    limit: number,
    j: ReturnType<typeof judge>,
    strict = false,
  ) => checks.push({ target, workload, value, unit, limit, strict, ...j, ...(j.note ? { note: j.note } : {}) });

  // Heap after a full GC does not depend on how busy the machine was: only a growth below the noise makes it unjudgeable.
  const belowNoise = [ours, stock].filter((m) => m?.idle && m.idle.heapPerConnB === null).map((m) => m!.mode);
  const heap = judge(h.heapPerConnVsStock, t.heapPerConn, { boundCores, missing: bothModes });
  add(
    'heap per idle connection, ours/stock',
    'idle',
    h.heapPerConnVsStock,
    'x',
    t.heapPerConn,
    belowNoise.length
      ? { verdict: 'too noisy to judge', otherCores: null, note: `heap growth below the noise in ${belowNoise.join(', ')}` }
      : heap,
  );
  for (const name of Object.keys(h.cpuVsStock)) {
    const o = wl(ours, name);
    const s = wl(stock, name);
    const fixed = [o?.fixed, s?.fixed];
    const cpuLimit = t.cpuPerDelivery[name];
    if (cpuLimit !== undefined) {
      add(
        'CPU per delivery, ours/stock',
        name,
        h.cpuVsStock[name],
        'x',
        cpuLimit,
        judge(h.cpuVsStock[name], cpuLimit, { windows: fixed, boundCores, missing: bothModes }),
      );
    }
    for (const where of ['local', 'cross'] as const) {
      const v = h.p99VsStock[name][where];
      add(`p99 ${where}, ours/stock`, name, v, 'x', t.p99, judge(v, t.p99, { windows: fixed, boundCores, missing: bothModes }));
    }
    const c = h.crossMinusLocalP99Ms[name];
    const at = o && nearestTarget(o);
    const hop = judge(c?.diffMs ?? null, CROSS_HOP_LIMIT_MS, {
      windows: [at],
      boundCores,
      missing: ours ? 'no window of the pubsub mode was kept up with' : 'needs the pubsub mode',
    });
    const farFromTarget = c && c.deliveriesPerS < TARGET_LOAD_SHARE * TARGET_DELIVERIES_PER_S;
    add(
      `cross-node minus local p99 at ${fmt(TARGET_DELIVERIES_PER_S, 0)} deliveries/s`,
      name,
      c?.diffMs ?? null,
      'ms',
      CROSS_HOP_LIMIT_MS,
      farFromTarget && hop.verdict !== 'too noisy to judge'
        ? { ...hop, verdict: 'not measured', note: `the highest kept-up load was ${fmt(c.deliveriesPerS, 0)} deliveries/s` }
        : c
          ? { ...hop, note: [hop.note, `at ${fmt(c.deliveriesPerS, 0)} deliveries/s`].filter(Boolean).join('; ') }
          : hop,
    );
    const over = h.overloadP99Ms[name];
    const j = judge(over.ours, t.overloadP99Ms, { strict: true, windows: [o?.overload], boundCores, missing: 'needs the pubsub mode' });
    const beside = `${fmt(over.oursShedPct, 1)} % shed, RSS +${fmt(over.oursRssGrowthMB, 1)} MB; stock ${fmt(over.stock, 1)} ms`;
    add(
      'p99 at 2x the sustained load, ours',
      name,
      over.ours,
      'ms',
      t.overloadP99Ms,
      { ...j, note: [j.note, beside].filter(Boolean).join('; ') },
      true,
    );
  }
  return checks;
}

/** What a reader should take from the checks, in one sentence. */
export function conclusion(checks: readonly TargetCheck[], noise: NoiseSummary, quick: boolean): string {
  const count = (v: Verdict) => checks.filter((c) => c.verdict === v).length;
  const parts = [`${count('met')} met`, `${count('not met')} not met`, `${count('too noisy to judge')} too noisy to judge`];
  if (count('not measured')) parts.push(`${count('not measured')} not measured`);
  const advice: string[] = [];
  if (count('too noisy to judge')) {
    advice.push(
      `Other processes took up to ${fmt(noise.otherCoresMax, 2)} cores in the measured windows, past the bound of ` +
        `${noise.boundCores} (${NOISE_BOUND_SHARE * 100} % of the cores): run again on a quieter machine to judge those.`,
    );
  }
  if (noise.otherCoresMax === null) advice.push('The noise was not measured (a result from before it was): judge with care.');
  if (quick) advice.push('A --quick run is a first look (sub-second windows); the full run is the reference.');
  return [`targets: ${parts.join(', ')}.`, ...advice].join(' ');
}

export function verdicts(r: BenchResult): Verdicts {
  const noise = noiseSummary(r);
  const targets = checkTargets(r);
  return { noise, targets, conclusion: conclusion(targets, noise, r.options.quick) };
}

/** The targets as a table, each with its verdict, then the noise and the conclusion. */
export function formatVerdicts(v: Verdicts, cpus: number): string {
  const value = (c: TargetCheck) => (c.value == null ? '-' : c.unit === 'x' ? `${c.value.toFixed(2)}x` : `${fmt(c.value, 1)} ms`);
  const limit = (c: TargetCheck) => `${c.strict ? '<' : '<='} ${c.unit === 'x' ? `${c.limit}x` : `${c.limit} ms`}`;
  const rows = v.targets.map((c) => [c.target, c.workload, value(c), limit(c), c.verdict, c.note ?? '']);
  const n = v.noise;
  const noise =
    n.otherCoresMax === null
      ? 'noise: not measured in this result'
      : `noise: other processes took ${fmt(n.otherCoresMean, 2)} cores on average, ${fmt(n.otherCoresMax, 2)} at most, ` +
        `of ${cpus} in the measured windows (too noisy to judge past ${n.boundCores}); ` +
        `load average ${fmt(n.loadPerCoreStart, 2)} per core before the run`;
  return [
    table(['target (ours: the pubsub mode)', 'workload', 'this run', 'target', 'verdict', 'note'], rows, [0, 1, 4, 5]),
    noise,
    v.conclusion,
  ].join('\n');
}

function fmt(n: number | null | undefined, digits = 1): string {
  if (n == null || !Number.isFinite(n)) return '-';
  if (Math.abs(n) >= 10_000) return `${(n / 1000).toFixed(0)}k`;
  if (Math.abs(n) >= 1_000) return `${(n / 1000).toFixed(1)}k`;
  return n.toFixed(digits);
}

const x = (n: number | null) => (n == null ? '-' : `${n.toFixed(2)}x`);

/** Columns padded to their widest cell, the `left` ones (default the first two) left-aligned, a rule under the header. */
export function table(header: string[], rows: string[][], left: readonly number[] = [0, 1]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (left.includes(i) ? c.padEnd(widths[i]) : c.padStart(widths[i])))
      .join('  ')
      .trimEnd();
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

/** A per-connection figure from a growth too small (or negative) to divide: never printed as a size. */
const BELOW_NOISE = 'below the noise';
const MB = 1024 * 1024;

/** Memory per idle connection, one row per mode: the heap figure against stock's and raw ws's, and RSS for reference. */
function memoryTable(r: BenchResult): string {
  const stock = find(r, 'stock')?.idle;
  const raw = find(r, 'raw-ws')?.idle;
  const rows = r.results
    .filter((m) => !m.error && m.idle)
    .map((m) => [
      m.label,
      String(m.idle!.connections),
      m.idle!.heapPerConnB === null ? BELOW_NOISE : String(m.idle!.heapPerConnB),
      x(ratio(m.idle!.heapPerConnB, stock?.heapPerConnB)),
      x(ratio(m.idle!.heapPerConnB, raw?.heapPerConnB)),
      fmt(m.idle!.heapBaseMB, 1),
      m.idle!.rssPerConnKB === null ? BELOW_NOISE : fmt(m.idle!.rssPerConnKB, 1),
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
      `RSS KB/conn the RSS growth over them (depends on the pages mapped before: not a per-connection figure); ` +
      `${BELOW_NOISE}: a growth under ${HEAP_NOISE_BYTES / 1024} KB (heap) or ${RSS_NOISE_BYTES / MB} MB (RSS), negative included.`,
    `machine: ${machine.cpus} cores (${machine.model}), node ${machine.node}, ` +
      `load average ${machine.loadavgStart.join(' ')} → ${machine.loadavgEnd.join(' ')}; ${r.seconds} s`,
  );
  // The targets last: what a reader sees at the end of the output is what the run found.
  out.push('', formatVerdicts(verdicts(r), machine.cpus));
  return out.join('\n');
}
