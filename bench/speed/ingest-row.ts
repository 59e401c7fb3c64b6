import { mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { ingest, type IngestVariant } from './ingest.js'
import { perSecond } from './rest.js'
import { alternating, median, type SpeedRow } from './row.js'

/** `lines` log lines with nobody following: the EventStore with and without the statement cache, beside the raw batched insert. */
export async function ingestRow(options: { rounds: number; lines: number; dir: string }): Promise<SpeedRow> {
  const variants: readonly IngestVariant[] = ['raw', 'event-store-uncached', 'event-store']
  const runs: Record<string, number[]> = Object.fromEntries(variants.map((v) => [v, []]))
  let run = 0
  for (const v of alternating(variants, options.rounds)) {
    const runDir = join(options.dir, `ingest-${run++}`)
    mkdirSync(runDir)
    runs[v]!.push(await ingest(v, runDir, options.lines))
    rmSync(runDir, { recursive: true, force: true })
  }
  const [raw, uncached, cached] = variants.map((v) => median(runs[v]!)) as [number, number, number]
  return {
    measure: `${options.lines.toLocaleString('en')} log lines, no follower`, baseline: `${perSecond(raw)} lines/s`,
    before: `${perSecond(uncached)} lines/s`, topup: `${perSecond(cached)} lines/s`, ratio: cached / raw, goal: '≥ 0.7',
    met: cached / raw >= 0.7, figures: { unit: 'lines/s', baseline: raw, uncached, topup: cached, runs },
  }
}
