/**
 * Prometheus's text exposition format, read without prom-client: one sample per line,
 * `name{label="value",...} value`, comments skipped. Keys are `name{labels}` as written, labels in
 * the order the exporter wrote them; `sample` looks one up by name and labels in any order.
 */
export type Exposition = ReadonlyMap<string, number>;

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)(?: \d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parseExposition(text: string): Exposition {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const [, name = '', labels = '', value = ''] = match;
    samples.set(`${name}${canonicalLabels(labels)}`, Number(value));
  }
  return samples;
}

/** The sample of `name` with exactly `labels`; undefined when the exposition has none. */
export function sample(exposition: Exposition, name: string, labels: Record<string, string> = {}): number | undefined {
  const written = Object.entries(labels).map(([label, value]) => `${label}="${value}"`).join(',');
  return exposition.get(`${name}${canonicalLabels(written ? `{${written}}` : '')}`);
}

/** How much `name{labels}` moved from `before` to `after` (an absent sample counts as 0). */
export function moved(before: Exposition, after: Exposition, name: string, labels: Record<string, string> = {}): number {
  return (sample(after, name, labels) ?? 0) - (sample(before, name, labels) ?? 0);
}

function canonicalLabels(labels: string): string {
  const pairs = [...labels.matchAll(LABEL)].map(([pair = '']) => pair).sort();
  return pairs.length === 0 ? '' : `{${pairs.join(',')}}`;
}
