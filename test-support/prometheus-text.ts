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

export function parsePrometheus(text: string): Map<string, MetricFamily> {
  const families = parsePrometheusTextFormat(text) as MetricFamily[];
  return new Map(families.map((family) => [family.name, family]));
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

/** A histogram sample's count (observations) for the series whose labels include `labels`. */
export function histogramCount(
  families: Map<string, MetricFamily>,
  name: string,
  labels: Record<string, string> = {},
): number {
  return (families.get(name)?.metrics ?? [])
    .filter((m) => matches(m.labels, labels))
    .reduce((sum, m) => sum + Number(m.count ?? 0), 0);
}
