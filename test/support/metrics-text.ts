// Reading the operator's /metrics page (Prometheus text exposition) in tests
// and the bench.

/** `name{labels} value` lines of one metric: the label block and the sample value. */
function samples(text: string, name: string): { labels: string; value: number }[] {
  const line = new RegExp(`^${name}(?:\\{([^}]*)\\})? (\\S+)$`, 'gm');
  return [...text.matchAll(line)].map((m) => ({ labels: m[1] ?? '', value: Number(m[2]) }));
}

function labelValue(labels: string, label: string): string | undefined {
  return new RegExp(`(?:^|,)${label}="([^"]*)"`).exec(labels)?.[1];
}

/**
 * The value of the first series of `name` carrying every label in `labels`;
 * `undefined` when there is none (callers say what an absent series means).
 */
export function metricValue(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  return samples(text, name).find((sample) =>
    Object.entries(labels).every(([label, value]) => labelValue(sample.labels, label) === value),
  )?.value;
}

/** Every series of `name` as (value of `label`, sample value), summed per label value. */
export function metricByLabel(text: string, name: string, label: string): Map<string, number> {
  const series = new Map<string, number>();
  for (const sample of samples(text, name)) {
    const value = labelValue(sample.labels, label);
    if (value !== undefined) series.set(value, (series.get(value) ?? 0) + sample.value);
  }
  return series;
}
