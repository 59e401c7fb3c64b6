import type { OutputDeclaration } from '../workflows/definition.js'
import { messageOf } from '../errors.js'

/** Bounds a list output: a command printing millions of matching lines must not grow memory without end. */
export const MAX_LIST_ITEMS = 10_000

interface Capture {
  name: string
  regex: RegExp
  global: RegExp
  group: number
  all: boolean
  required: boolean
  values: string[]
}

/**
 * Captures a step's declared outputs from stdout lines, line by line as they arrive: `pattern` is matched
 * against each line; `group` (default 1, or the whole match when the pattern has no group) is kept; `all`
 * keeps every match in order, otherwise the first one counts.
 */
export class OutputCapture {
  private readonly captures: Capture[]

  constructor(declarations: Record<string, OutputDeclaration> | undefined) {
    this.captures = Object.entries(declarations ?? {})
      .filter(([, d]) => d.pattern !== undefined)
      .map(([name, d]) => {
        const regex = compile(d.pattern!, `output "${name}"`)
        const groups = groupCount(regex)
        const group = d.group ?? (groups > 0 ? 1 : 0)
        if (group > groups) throw new Error(`output "${name}": pattern has no group ${group}`)
        return { name, regex, global: new RegExp(regex.source, 'gu'), group, all: d.all ?? false, required: d.required ?? false, values: [] }
      })
  }

  onLine(line: string): void {
    for (const c of this.captures) {
      if (!c.all) {
        if (c.values.length > 0) continue
        const m = c.regex.exec(line)
        if (m) c.values.push(m[c.group] ?? '')
        continue
      }
      if (c.values.length >= MAX_LIST_ITEMS) continue
      for (const m of line.matchAll(c.global)) {
        if (m[0] === '') continue
        c.values.push(m[c.group] ?? '')
        if (c.values.length >= MAX_LIST_ITEMS) break
      }
    }
  }

  /** Names of required outputs that matched nothing. */
  missing(): string[] {
    return this.captures.filter((c) => c.required && c.values.length === 0).map((c) => c.name)
  }

  /** Every value matched so far, by output name (kept as durable progress by a detached command). */
  snapshot(): Record<string, string[]> {
    return Object.fromEntries(this.captures.map((c) => [c.name, [...c.values]]))
  }

  /** Takes up the values of an earlier snapshot (the lines they came from are not read again). */
  restore(values: Record<string, string[]>): void {
    for (const c of this.captures) c.values = Array.isArray(values[c.name]) ? [...values[c.name]!] : []
  }

  /** Values to record: a list for `all`, else the first match ("" when nothing matched). */
  results(): Array<[string, string | string[]]> {
    return this.captures.map((c) => [c.name, c.all ? c.values : c.values[0] ?? ''])
  }
}

export function compile(pattern: string, what: string, flags = 'u'): RegExp {
  try {
    return new RegExp(pattern, flags)
  } catch (error) {
    throw new Error(`${what}: invalid regular expression ${JSON.stringify(pattern)}: ${messageOf(error)}`)
  }
}

function groupCount(regex: RegExp): number {
  return new RegExp(`${regex.source}|`, regex.flags).exec('')!.length - 1
}
