import type { OutputDeclaration, StepOf } from '../workflows/definition.js'
import { compile, OutputCapture } from './output-capture.js'
import { OutputChecks, type OutputChecksState } from './output-checks.js'

/** What an exec step has learnt from stdout so far, in a form that survives a restart. */
export interface ExecOutputState {
  lines: number
  marker: boolean
  captured: Record<string, string[]>
  /** Absent in progress saved before output checks existed. */
  checks?: OutputChecksState
}

/**
 * Watches an exec step's own lines: counts stdout lines, notes the required marker (genJob.sh prints DONE only
 * when it worked), captures the declared outputs and runs the output checks (stdout and stderr). A detached
 * command that is re-attached after a restart continues from a snapshot instead of reading its earlier lines again.
 */
export class ExecOutput {
  lines = 0
  markerSeen = false
  readonly capture: OutputCapture
  readonly checks: OutputChecks
  private readonly marker: RegExp | null

  constructor(outputs: Record<string, OutputDeclaration> | undefined, inputs: StepOf<'exec'>['inputs']) {
    this.capture = new OutputCapture(outputs)
    this.marker = inputs.require_marker === undefined ? null : compile(inputs.require_marker, 'require_marker')
    this.checks = new OutputChecks(inputs.fail_on, inputs.fail_on_output ?? false)
  }

  get wantsMarker(): boolean {
    return this.marker !== null
  }

  onStdout(line: string): void {
    this.lines++
    if (this.marker && !this.markerSeen && this.marker.test(line)) this.markerSeen = true
    this.capture.onLine(line)
    this.checks.onLine('stdout', line)
  }

  onStderr(line: string): void {
    this.checks.onLine('stderr', line)
  }

  snapshot(): ExecOutputState {
    return { lines: this.lines, marker: this.markerSeen, captured: this.capture.snapshot(), checks: this.checks.snapshot() }
  }

  restore(state: Partial<ExecOutputState> | undefined): void {
    if (!state) return
    this.lines = typeof state.lines === 'number' ? state.lines : 0
    this.markerSeen = state.marker === true
    if (state.captured && typeof state.captured === 'object') this.capture.restore(state.captured)
    this.checks.restore(state.checks)
  }
}
