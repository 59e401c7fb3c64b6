import type { BatchSystem, JobState } from '../domain.js'

export { batchSystems, type BatchSystem } from '../domain.js'

/**
 * What a batch system says about one job, in the one vocabulary of src/domain.ts. `reason` is set for `held`
 * (the hold reason, when the system tells it); `exitCode` for `completed` (always 0) and `failed`; `signal` for a
 * `failed` job that a signal ended.
 */
export interface JobStatus {
  state: JobState
  reason: string | null
  exitCode: number | null
  signal: number | null
}

export function jobStatus(state: JobState, details: Partial<Omit<JobStatus, 'state'>> = {}): JobStatus {
  return { state, reason: details.reason ?? null, exitCode: details.exitCode ?? null, signal: details.signal ?? null }
}

/** The end of a job that exited: `completed` only for exit code 0 without a signal. */
export function exitedStatus(exitCode: number | null, signal: number | null): JobStatus {
  if (exitCode === 0 && signal === null) return jobStatus('completed', { exitCode: 0 })
  return jobStatus('failed', { exitCode, signal })
}

export type ControlAction = 'cancel' | 'hold' | 'release'

/** The outcome of a cancel, hold or release of many ids: each id is either accepted or refused with a reason. */
export interface ControlResult {
  accepted: string[]
  refused: Array<{ id: string; reason: string }>
}

/**
 * A batch command that failed as a whole (the scheduler unreachable, output that is no listing): an
 * infrastructure fault of the poll, never a job's failure.
 */
export class BatchError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'BatchError'
  }
}

/** A job id that does not have its system's form; it is never put into a command. */
export class InvalidJobIdError extends Error {
  constructor(readonly system: BatchSystem, readonly id: string) {
    super(`${JSON.stringify(id)} is no ${system} job id`)
    this.name = 'InvalidJobIdError'
  }
}
