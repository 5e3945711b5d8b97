/** Eight block heights, lowest first. */
export const SPARK_LEVELS = '▁▂▃▄▅▆▇█';

/** A value per slot; null where there was no datapoint. */
export type Series = ReadonlyArray<number | null>;

/** Averages neighbouring slots so the line fits in `width` characters; a bucket with no data stays null. */
export function downsample(values: Series, width: number): Array<number | null> {
  if (values.length <= width) return [...values];
  const out: Array<number | null> = [];
  for (let i = 0; i < width; i += 1) {
    const from = Math.floor((i * values.length) / width);
    const to = Math.floor(((i + 1) * values.length) / width);
    let sum = 0;
    let n = 0;
    for (let j = from; j < to; j += 1) {
      const v = values[j];
      if (v !== null && v !== undefined && Number.isFinite(v)) {
        sum += v;
        n += 1;
      }
    }
    out.push(n > 0 ? sum / n : null);
  }
  return out;
}

/** One-line chart; gaps are spaces, a flat series is drawn at the lowest level. */
export function sparkline(values: Series, width = 60): string {
  const points = downsample(values, width);
  const present = points.filter((v): v is number => v !== null && Number.isFinite(v));
  if (present.length === 0) return ' '.repeat(points.length);
  const min = Math.min(...present);
  const span = Math.max(...present) - min;
  const top = SPARK_LEVELS.length - 1;
  return points
    .map((v) => {
      if (v === null || !Number.isFinite(v)) return ' ';
      const level = span === 0 ? 0 : Math.round(((v - min) / span) * top);
      return SPARK_LEVELS[level];
    })
    .join('');
}

/** Short human number: 0.42, 12.5, 340, 12.3k, 4.1M. */
export function formatNumber(v: number): string {
  const abs = Math.abs(v);
  if (abs >= 1e6) return `${trimZeros((v / 1e6).toFixed(1))}M`;
  if (abs >= 1e4) return `${trimZeros((v / 1e3).toFixed(1))}k`;
  if (abs >= 100 || Number.isInteger(v)) return String(Math.round(v));
  if (abs >= 10) return trimZeros(v.toFixed(1));
  return trimZeros(v.toFixed(2));
}

function trimZeros(s: string): string {
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

export interface SeriesStats {
  min: number;
  max: number;
  last: number;
}

export function seriesStats(values: Series): SeriesStats | undefined {
  const present = values.filter((v): v is number => v !== null && Number.isFinite(v));
  if (present.length === 0) return undefined;
  return { min: Math.min(...present), max: Math.max(...present), last: present[present.length - 1] };
}

/** `label  ▁▂█▄  min 1  max 9  last 4`, or `label  no data`. */
export function chartLine(label: string, values: Series, opts: { labelWidth: number; width?: number; unit?: string }): string {
  const head = label.padEnd(opts.labelWidth);
  const stats = seriesStats(values);
  if (!stats) return `${head}  no data`;
  const unit = opts.unit ?? '';
  const f = (v: number) => `${formatNumber(v)}${unit}`;
  return `${head}  ${sparkline(values, opts.width)}  min ${f(stats.min)}  max ${f(stats.max)}  last ${f(stats.last)}`;
}
