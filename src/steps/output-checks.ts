import type { FailOn } from '../workflows/definition.js'
import { compile } from './output-capture.js'

/** The first line that failed a check, and how many did: what survives a restart of a detached command. */
export interface OutputChecksState {
  /** `check` is the index in fail_on, or -1 for fail_on_output. */
  first: { stream: 'stdout' | 'stderr'; line: string; check: number } | null
  hits: number
}

/** A line kept in a failure message is cut here: the message is a task's reason, shown in a list. */
const MAX_SHOWN = 300

/**
 * An exec step's output checks, line by line as the command prints them (the caller leaves out the login
 * shell's lines): `fail_on` patterns and `fail_on_output` (any line with text). They only note what they saw; the
 * step fails once the command has ended, so that a check never cuts a command off half-way through its work.
 */
export class OutputChecks {
  private readonly patterns: Array<{ regex: RegExp; check: FailOn }>
  private state: OutputChecksState = { first: null, hits: 0 }

  constructor(failOn: readonly FailOn[] | undefined, private readonly anyOutput: boolean) {
    this.patterns = (failOn ?? []).map((check, i) => ({
      check, regex: compile(check.pattern, `fail_on ${i}`, check.ignore_case ? 'iu' : 'u'),
    }))
  }

  get active(): boolean {
    return this.anyOutput || this.patterns.length > 0
  }

  onLine(stream: 'stdout' | 'stderr', line: string): void {
    let check = this.patterns.findIndex((p) => p.regex.test(line))
    if (check < 0 && this.anyOutput && line.trim() !== '') check = -1
    else if (check < 0) return
    this.state.hits++
    this.state.first ??= { stream, line: line.length > MAX_SHOWN ? `${line.slice(0, MAX_SHOWN)}…` : line, check }
  }

  /** Why the step fails, or null when no line failed a check. */
  failure(): string | null {
    const { first, hits } = this.state
    if (!first) return null
    const more = hits > 1 ? ` (and ${hits - 1} more line(s))` : ''
    const line = `${first.stream} line ${JSON.stringify(first.line)}`
    if (first.check < 0) return `the command printed output, and fail_on_output allows none: ${line}${more}`
    const { check } = this.patterns[first.check]!
    return `${check.message ?? 'the output reports a failure'}: ${line} matches fail_on /${check.pattern}/${more}`
  }

  snapshot(): OutputChecksState {
    return { first: this.state.first && { ...this.state.first }, hits: this.state.hits }
  }

  restore(state: Partial<OutputChecksState> | undefined): void {
    const first = state?.first
    this.state = {
      first: first && typeof first.line === 'string' && typeof first.check === 'number' && first.check < this.patterns.length
        ? { ...first } : null,
      hits: typeof state?.hits === 'number' ? state.hits : 0,
    }
  }
}
