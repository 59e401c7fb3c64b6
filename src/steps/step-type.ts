import type { StepOf, StepType } from '../workflows/definition.js'
import type { LogLevel } from '../engine/events.js'
import type { Transport } from '../remote/transport.js'

/**
 * The contract every step type implements (one file per type in src/steps/, listed in registry.ts).
 * The runner renders templates, opens the execution row and hands a StepContext to `run`.
 */
export interface StepContext<K extends StepType = StepType> {
  task: { id: number; user_id: string }
  execution: { id: number; attempt: number }
  /** The step as written in the workflow snapshot. */
  step: StepOf<K>
  /** Renders a template of this step's inputs; `shell: true` shell-quotes every substitution. */
  render(template: string, options?: { shell?: boolean; extra?: Record<string, unknown> }): string
  /** Renders a template that must resolve to a list (an `all: true` output) or a single value. */
  renderList(template: string): string[]
  /**
   * Aborted on cancel, timeout and shutdown, and on pause for a step type that is `interruptible`.
   * `signal.reason` is an AbortReason.
   */
  signal: AbortSignal
  log(level: LogLevel, message: string, source?: string): void
  transport(): Transport
  /** Records an output (step_outputs) usable by later steps as {{ steps.<id>.outputs.<name> }}. */
  setOutput(name: string, value: string | string[] | number | boolean): Promise<void>
  /** DATA_DIR, absolute; the download step keeps files under its artifacts/ folder. Absent: from the environment. */
  dataDir?: string
  /** Records a file kept under the data folder (download step). */
  addArtifact(file: { name: string; path: string; size: number; sha256: string; contentType: string; remotePath: string }): Promise<void>
  /** Durable progress: whatever `save` stored survives a restart and is handed back in `resumed`. */
  progress: {
    resumed: unknown
    save(state: unknown): Promise<void>
  }
  /** Remote handles (pgid, detached work folder) to persist for cancel and recovery. */
  setRemoteHandle(handle: Record<string, unknown>): Promise<void>
  remoteHandle: Record<string, unknown> | null
}

export type AbortReason = 'cancel' | 'pause' | 'timeout' | 'shutdown'

export type StepOutcome =
  | { status: 'success'; summary?: string }
  | { status: 'failed'; error: string; retryable?: boolean; summary?: string }
  /** Stopped waiting because of pause/shutdown; durable progress lets it continue later. */
  | { status: 'interrupted'; summary?: string }

export interface StepImplementation<K extends StepType = StepType> {
  type: K
  /** A step that only waits: pause aborts it at once, and after a restart it continues from its progress. */
  interruptible: boolean
  run(ctx: StepContext<K>): Promise<StepOutcome>
}
