import type { MetricDatum, StandardUnit } from '@aws-sdk/client-cloudwatch';

/** A datapoint of another module: a value, or values with counts (a distribution CloudWatch takes percentiles of). */
export interface SourceDatum {
  readonly def: { readonly name: string; readonly unit: StandardUnit };
  readonly value?: number;
  readonly values?: number[];
  readonly counts?: number[];
}

/** Collects another module's datapoints (the backend API's) once per interval. */
export type MetricSource = () => SourceDatum[];

/** The sources added so far, read into datapoints each interval; one source's bug costs its own datapoints, not the interval's. */
export function createSources(datum: (def: SourceDatum['def'], value: number, timestamp: Date) => MetricDatum) {
  const sources: MetricSource[] = [];
  return {
    add(source: MetricSource): void {
      sources.push(source);
    },
    collect(timestamp: Date): MetricDatum[] {
      const set: MetricDatum[] = [];
      for (const source of sources) {
        try {
          for (const d of source()) {
            const { Value, ...rest } = datum(d.def, d.value ?? 0, timestamp);
            set.push(d.values ? { ...rest, Values: d.values, Counts: d.counts } : { ...rest, Value });
          }
        } catch {
          // Skipped for this interval; the next one asks again.
        }
      }
      return set;
    },
  };
}
