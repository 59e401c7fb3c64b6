import type { OutputDeclaration } from '../workflows/definition.js'
import { compile, OutputCapture } from './output-capture.js'

/** What an exec step has learnt from stdout so far, in a form that survives a restart. */
export interface ExecOutputState {
  lines: number
  marker: boolean
  captured: Record<string, string[]>
}

/**
 * Watches an exec step's stdout lines: counts them, notes the required marker (genJob.sh prints DONE only
 * when it worked) and captures the declared outputs. A detached command that is re-attached after a restart
 * continues from a snapshot instead of reading its earlier lines again.
 */
export class ExecOutput {
  lines = 0
  markerSeen = false
  readonly capture: OutputCapture
  private readonly marker: RegExp | null

  constructor(outputs: Record<string, OutputDeclaration> | undefined, requireMarker: string | undefined) {
    this.capture = new OutputCapture(outputs)
    this.marker = requireMarker === undefined ? null : compile(requireMarker, 'require_marker')
  }

  get wantsMarker(): boolean {
    return this.marker !== null
  }

  onStdout(line: string): void {
    this.lines++
    if (this.marker && !this.markerSeen && this.marker.test(line)) this.markerSeen = true
    this.capture.onLine(line)
  }

  snapshot(): ExecOutputState {
    return { lines: this.lines, marker: this.markerSeen, captured: this.capture.snapshot() }
  }

  restore(state: Partial<ExecOutputState> | undefined): void {
    if (!state) return
    this.lines = typeof state.lines === 'number' ? state.lines : 0
    this.markerSeen = state.marker === true
    if (state.captured && typeof state.captured === 'object') this.capture.restore(state.captured)
  }
}
