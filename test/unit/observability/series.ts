import type { Metrics } from '../../../src/observability/metrics.ts';

export interface Series {
  /** The sample's own name: a histogram's `_count`, `_sum` or `_bucket`. */
  name: string;
  labels: Record<string, string | number>;
  value: number;
}

/** Every sample of the metric `name` (histogram samples included) after a collect. */
export async function seriesOf(metrics: Metrics, name: string): Promise<Series[]> {
  const all = await metrics.registry.getMetricsAsJSON();
  const metric = all.find((m) => m.name === name);
  if (!metric) throw new Error(`no metric ${name}`);
  // Histogram samples carry their own name (prom-client types leave it out).
  const values = metric.values as {
    metricName?: string;
    labels: Record<string, string | number>;
    value: number;
  }[];
  return values.map((v) => ({
    name: v.metricName ?? name,
    labels: { ...v.labels },
    value: v.value,
  }));
}

/** The value of the one sample with exactly these labels; undefined when there is none. */
export async function valueOf(
  metrics: Metrics,
  name: string,
  labels: Record<string, string> = {},
  sampleName = name,
): Promise<number | undefined> {
  const wanted = JSON.stringify(Object.entries(labels).sort());
  const match = (await seriesOf(metrics, name)).filter(
    (s) => s.name === sampleName && JSON.stringify(Object.entries(s.labels).sort()) === wanted,
  );
  if (match.length > 1) throw new Error(`${match.length} samples of ${sampleName} match`);
  return match[0]?.value;
}
