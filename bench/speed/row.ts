/**
 * One row of the speed table (bench/speed.ts): a measure, its baseline and Topup, as table cells and as the
 * figures written to bench/results.json. `ratio` is Topup against the baseline measured beside it, oriented so
 * that higher is better (a throughput ratio, or baseline cost / Topup cost); `goal` is the target for it.
 */
export interface SpeedRow {
  measure: string
  baseline: string
  topup: string
  /** Topup before the speed work, when the bench still measures it (e.g. without the statement cache). */
  before?: string
  ratio: number
  goal: string
  /** Whether the goal is met, as the row's own rule decides (a p99 or an RSS bound besides the ratio). */
  met: boolean
  figures: Record<string, unknown>
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}

/** Each round runs every variant once, in an order that turns each round, so no variant always goes first. */
export function* alternating<V>(variants: readonly V[], rounds: number): Generator<V> {
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < variants.length; i++) yield variants[(i + round) % variants.length]!
  }
}
