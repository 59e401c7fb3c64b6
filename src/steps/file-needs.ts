import type { StepContext } from './step-type.js'
import type { FileCheckRequest, FileCheckResult, FilePattern, MatchMode } from './file-check-script.js'

/**
 * What a `wait_for_files` waits for, item by item (a run, with for_each), and how one poll's answer is judged:
 * which files count (they exist and, with stable_polls, their size held still long enough), which items are
 * complete, and whether an item already has more files than it may ever have.
 */

type Rule =
  | { kind: 'one' }
  | { kind: 'exactly' | 'at_least'; n: number }
  | { kind: 'as_many_as'; ref: number; refPattern: string }

interface Need {
  /** Index into the request's files. */
  file: number
  rule: Rule
  label: string
}

export interface Item { key: string; needs: Need[] }

export interface WaitPlan {
  items: Item[]
  request: FileCheckRequest
  stablePolls: number
}

/** Per file name: its size at the last poll and in how many polls in a row it had that size (durable progress). */
export type SizeHistory = Record<string, [number | null, number]>

export interface Judgement {
  complete: string[]
  /** Each incomplete item with what it lacks, when that says more than its key ("12/40 hist files"). */
  incomplete: Array<{ key: string; detail: string | null }>
  /** An item with more files than it may ever have: the wait cannot end well. */
  over: string | null
  history: SizeHistory
}

export function planWait(ctx: StepContext<'wait_for_files'>): WaitPlan {
  const { files, for_each: forEach, directory, anomaly_files: anomalies } = ctx.step.inputs
  const stablePolls = ctx.step.inputs.stable_polls ?? 1
  const patterns: FilePattern[] = []
  const index = new Map<string, number>()
  const intern = (pattern: string, mode: MatchMode): number => {
    const key = `${mode}:${pattern}`
    let at = index.get(key)
    if (at === undefined) index.set(key, at = patterns.push({ pattern, mode }) - 1)
    return at
  }
  const asManyAs = (refPattern: string): Rule => ({ kind: 'as_many_as', ref: intern(refPattern, 'count'), refPattern })
  const needsOf = (extra: Record<string, unknown>, item: string | null): Need[] => files.map((entry) => {
    if (typeof entry === 'string') {
      const pattern = ctx.render(entry, { extra })
      return { file: intern(pattern, 'first'), rule: { kind: 'one' }, label: pattern }
    }
    const pattern = ctx.render(entry.glob, { extra })
    const file = intern(pattern, stablePolls > 1 ? 'all' : 'count')
    const count = (name: 'count' | 'min_count', value: number | string) => {
      const text = typeof value === 'number' ? String(value) : ctx.render(value, { extra }).trim()
      if (!/^\d+$/.test(text)) throw new Error(`${name} of ${entry.glob} must be a whole number ≥ 0, got ${JSON.stringify(text)}${item === null ? '' : ` for ${item}`}`)
      return Number(text)
    }
    const rule: Rule = entry.count !== undefined ? { kind: 'exactly', n: count('count', entry.count) }
      : entry.min_count !== undefined ? { kind: 'at_least', n: count('min_count', entry.min_count) }
        : entry.as_many_as !== undefined ? asManyAs(ctx.render(entry.as_many_as, { extra }))
          : { kind: 'at_least', n: 1 }
    return { file, rule, label: entry.label ?? pattern }
  })
  const items: Item[] = forEach === undefined
    ? needsOf({}, null).map((need) => ({ key: patterns[need.file]!.pattern, needs: [need] }))
    : [...new Set(ctx.renderList(forEach))].map((item) => ({ key: item, needs: needsOf({ item }, item) }))
  return {
    items, stablePolls,
    request: {
      directory: directory === undefined ? '.' : ctx.render(directory),
      files: patterns,
      anomalies: (anomalies ?? []).map((a) => ctx.render(a)),
      sizes: stablePolls > 1,
    },
  }
}

/** Judges one poll's answer against the plan; `history` is the sizes seen by the polls before. */
export function judgePoll(plan: WaitPlan, result: FileCheckResult, history: SizeHistory): Judgement {
  const next: SizeHistory = {}
  const present = result.files.map((r) => r.count)
  const counted = result.files.map((r, i) => {
    if (plan.stablePolls <= 1 || plan.request.files[i]!.mode === 'count') return r.count
    return r.matches.filter((m) => (next[m.name] ??= seen(history[m.name], m.size))[1] >= plan.stablePolls).length
  })
  const judgement: Judgement = { complete: [], incomplete: [], over: null, history: next }
  for (const item of plan.items) {
    const details: string[] = []
    let done = true
    for (const need of item.needs) {
      const have = counted[need.file]!
      const there = present[need.file]!
      const pattern = plan.request.files[need.file]!.pattern
      const want = need.rule.kind === 'one' ? 1 : need.rule.kind === 'as_many_as' ? present[need.rule.ref]! : need.rule.n
      const ok = need.rule.kind === 'at_least' ? have >= want
        : need.rule.kind === 'as_many_as' ? want > 0 && have === want : have === want
      const { rule } = need
      if (rule.kind === 'exactly' && there > want) judgement.over ??= `${item.key}: ${there} files match ${pattern}, ${want} expected`
      if (rule.kind === 'as_many_as' && want > 0 && there > want) {
        judgement.over ??= `${item.key}: ${there} files match ${pattern}, but only ${want} match ${rule.refPattern}`
      }
      if (ok) continue
      done = false
      const growing = there > have ? `${there - have} growing` : null
      if (need.rule.kind === 'one') {
        if (growing) details.push(`${need.label} growing`)
      } else if (need.rule.kind === 'as_many_as' && want === 0) {
        details.push(`no file matches ${need.rule.refPattern} yet`)
      } else {
        details.push(`${have}/${want}${need.rule.kind === 'at_least' ? '+' : ''} ${need.label}${growing ? `, ${growing}` : ''}`)
      }
    }
    if (done) judgement.complete.push(item.key)
    else judgement.incomplete.push({ key: item.key, detail: details.length > 0 ? details.join('; ') : null })
  }
  return judgement
}

/** A file's sizes so far: the same size as at the last poll adds a poll; an unreadable size never settles. */
function seen(previous: [number | null, number] | undefined, size: number | null): [number | null, number] {
  if (size === null) return [null, 0]
  return previous && previous[0] === size ? [size, previous[1] + 1] : [size, 1]
}

/** Reads a saved history back (progress is JSON written by an earlier attempt). */
export function historyOf(value: unknown): SizeHistory {
  if (typeof value !== 'object' || value === null) return {}
  const history: SizeHistory = {}
  for (const [name, entry] of Object.entries(value)) {
    if (Array.isArray(entry) && (typeof entry[0] === 'number' || entry[0] === null) && typeof entry[1] === 'number') {
      history[name] = [entry[0], entry[1]]
    }
  }
  return history
}
