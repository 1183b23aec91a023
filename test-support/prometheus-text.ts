import parsePrometheusTextFormat from 'parse-prometheus-text-format';

// Reads Prometheus text exposition with a real parser (parse-prometheus-text-format, a port of
// the Python client's), and looks samples up by name and labels.

export interface MetricFamily {
  name: string;
  help: string;
  type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
  metrics: Array<{
    labels?: Record<string, string>;
    value?: string;
    buckets?: Record<string, string>;
    count?: string;
    sum?: string;
  }>;
}

/**
 * Every metric family by name. The parser flattens labelled histograms into one label-less
 * sample, so their `_bucket`, `_count` and `_sum` series are also parsed as what they are on the
 * wire (plain samples, their TYPE line set aside) and listed under those names.
 */
export function parsePrometheus(text: string): Map<string, MetricFamily> {
  const families = parsePrometheusTextFormat(text) as MetricFamily[];
  const byName = new Map(families.map((family) => [family.name, family]));
  const histograms = new Set(families.filter((f) => f.type === 'HISTOGRAM').map((f) => f.name));
  const untyped = text
    .split('\n')
    .filter((line) => !(line.startsWith('# TYPE ') && histograms.has(line.split(' ')[2]!)))
    .join('\n');
  // Each label set's bucket, sum and count lines come together: a name recurs once per set.
  for (const family of parsePrometheusTextFormat(untyped) as MetricFamily[]) {
    if (histograms.has(family.name)) continue;
    const known = byName.get(family.name);
    if (!known) byName.set(family.name, { ...family, metrics: [...family.metrics] });
    else if (known.type === 'UNTYPED') known.metrics.push(...family.metrics);
  }
  return byName;
}

function matches(labels: Record<string, string> | undefined, wanted: Record<string, string>): boolean {
  return Object.entries(wanted).every(([key, value]) => labels?.[key] === value);
}

/** The value of the one sample of `name` whose labels include `labels`; undefined when none. */
export function sampleValue(
  families: Map<string, MetricFamily>,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const found = families.get(name)?.metrics.filter((m) => matches(m.labels, labels)) ?? [];
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  const sample = found[0];
  if (!sample) return undefined;
  return Number(sample.value ?? sample.count);
}

/** Observations of histogram `name` over its series whose labels include `labels` (its `_count`s). */
export function histogramCount(
  families: Map<string, MetricFamily>,
  name: string,
  labels: Record<string, string> = {},
): number {
  return (families.get(`${name}_count`)?.metrics ?? [])
    .filter((m) => matches(m.labels, labels))
    .reduce((sum, m) => sum + Number(m.value ?? 0), 0);
}
