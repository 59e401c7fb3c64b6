import type { StepOf, StepType } from '../workflows/definition.js'
import type { LogLevel } from '../domain.js'
import type { Transport } from '../remote/transport.js'
import type { JobGroupKey } from '../db/job-repository.js'
import type { JobRow } from '../db/tables.js'
import type { BatchSystem } from '../domain.js'

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
   * Aborted on cancel and timeout; on pause and shutdown when the step can continue later (canResume, else
   * `interruptible`), and on shutdown in any case once the grace is over.
   * `signal.reason` is an AbortReason.
   */
  signal: AbortSignal
  log(level: LogLevel, message: string, source?: string): void
  transport(): Transport
  /** Records an output (step_outputs) usable by later steps as {{ steps.<id>.outputs.<name> }}. */
  setOutput(name: string, value: string | string[] | number | boolean): Promise<void>
  /** DATA_DIR, absolute (set by the engine from the config); the download step keeps files under its artifacts/ folder. */
  dataDir: string
  /** REMOTE_RUNS_DIR: the folder on a host under which detached commands keep their output and exit code. */
  remoteRunsDir: string
  /** Records a file kept under the data folder (download step). */
  addArtifact(file: { name: string; path: string; size: number; sha256: string; contentType: string; remotePath: string }): Promise<void>
  /**
   * Durable progress: whatever was saved survives a restart and is handed back in `resumed` to the attempt that
   * continues this one (see StepImplementation.canResume).
   */
  progress: {
    resumed: unknown
    /** Writes the state now, in one transaction with the log lines logged before it. */
    save(state: unknown): Promise<void>
    /**
     * Keeps `snapshot()` as the progress, written with every batch of log lines (same transaction, no extra
     * write of its own): after a crash the saved progress matches exactly the lines that are in the log.
     * Call it after logging; the snapshot is taken when the batch is written.
     */
    saveWithLog(snapshot: () => unknown): void
  }
  /** Remote handles (pgid, detached work folder) to persist for cancel and recovery. */
  setRemoteHandle(handle: Record<string, unknown>): Promise<void>
  remoteHandle: Record<string, unknown> | null
  /** The task's cluster jobs (src/engine/job-tracker.ts). */
  jobs: StepJobs
}

/** How a step's jobs were submitted: the batch system, the folder of its tools, whether a pause holds them. */
export interface JobSpec { system: BatchSystem; tools: string; holdOnPause: boolean }

export interface StepJobs {
  /** Logs an output line that revealed job ids and records the jobs in the same transaction: each one once. */
  logRevealed(message: string, source: string, spec: JobSpec, ids: string[]): void
  /** The jobs of a step of this task, from its latest attempt that recorded any. */
  ofStep(stepId: string): Promise<JobRow[]>
  /** Resolves at the next change of this task's jobs (or failed poll) since the last ofStep, after `ms`, or on abort. */
  changed(ms: number): Promise<void>
  /** How the polls of a host's batch system fare: failed polls in a row, the last error, and the limit that pauses. */
  health(key: JobGroupKey): { failures: number; lastError: string | null; limit: number }
  /** How long after a submission the step's host may not list the job yet (JOB_LAG_SECONDS). */
  lagWindowMs(): number
  /** A tag for a submission of this attempt that no other attempt, task or service database shares. */
  submissionTag(): Promise<string>
}

export type AbortReason = 'cancel' | 'pause' | 'timeout' | 'shutdown'

export type StepOutcome =
  | { status: 'success'; summary?: string }
  | { status: 'failed'; error: string; retryable?: boolean; summary?: string; review?: boolean }
  /**
   * Stopped before the end but able to continue (see canResume): on pause or shutdown, or cut off from its
   * host (`error` says how) — the next attempt then continues it instead of starting over.
   */
  | { status: 'interrupted'; summary?: string; error?: string; review?: boolean }
// `review: true`: only a person can tell what must happen next (e.g. a command may still run on its host): the
// task pauses with `error` as its reason, whatever the step's retries and on_failure say.

/** What an attempt recorded, as the engine hands it to canResume. */
export interface AttemptState {
  remoteHandle: Record<string, unknown> | null
  progress: unknown
}

export interface StepImplementation<K extends StepType = StepType> {
  type: K
  /** A step that only waits: pause aborts it at once, and after a restart it continues from its progress. */
  interruptible: boolean
  /**
   * Whether an attempt in this state can stop (pause, shutdown, restart, lost connection) and be continued by
   * the next attempt instead of being run again — e.g. an exec whose detached command is recorded. The engine
   * asks this one question everywhere; absent, the answer is `interruptible`.
   */
  canResume?(state: AttemptState): boolean
  run(ctx: StepContext<K>): Promise<StepOutcome>
}
