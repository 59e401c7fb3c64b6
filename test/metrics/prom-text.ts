/** The Prometheus text format as a test reads it: every sample and every metric's TYPE. */
export interface Scrape {
  types: Map<string, string>
  /** The value of the sample `name` whose labels include `labels` (the first such), undefined when none. */
  value(name: string, labels?: Record<string, string>): number | undefined
  /** Every sample of `name`. */
  samples(name: string): Array<{ labels: Record<string, string>; value: number }>
}

export function parseScrape(text: string): Scrape {
  const types = new Map<string, string>()
  const samples: Array<{ name: string; labels: Record<string, string>; value: number }> = []
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line)
    if (type) types.set(type[1]!, type[2]!)
    if (line === '' || line.startsWith('#')) continue
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (!match) throw new Error(`not a sample line: ${line}`)
    const labels: Record<string, string> = {}
    for (const [, key, value] of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[key!] = value!
    samples.push({ name: match[1]!, labels, value: Number(match[3]) })
  }
  const matching = (name: string, labels: Record<string, string> = {}) =>
    samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
  return {
    types,
    value: (name, labels) => matching(name, labels)[0]?.value,
    samples: (name) => matching(name).map(({ labels, value }) => ({ labels, value })),
  }
}
