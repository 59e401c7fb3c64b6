import { BatchError, jobStatus, type JobStatus } from './types.js'

const running = new Set(['RUNNING', 'COMPLETING', 'CONFIGURING', 'SIGNALING', 'STAGE_OUT', 'RESIZING'])
const queued = new Set(['PENDING', 'REQUEUED', 'REQUEUE_FED'])
const held = new Set(['REQUEUE_HOLD', 'RESV_DEL_HOLD'])
const suspended = new Set(['SUSPENDED', 'STOPPED'])
const removed = new Set(['CANCELLED', 'REVOKED'])
const failed = new Set(['FAILED', 'TIMEOUT', 'NODE_FAIL', 'OUT_OF_MEMORY', 'PREEMPTED', 'BOOT_FAIL', 'DEADLINE',
  'SPECIAL_EXIT'])
/** A pending job whose reason says a person or the admin held it (`scontrol hold`). */
const holdReasons = new Set(['JobHeldUser', 'JobHeldAdmin'])

/** `CANCELLED by 1000` → CANCELLED. */
export const slurmStateName = (state: string) => state.trim().split(/\s+/)[0] ?? ''

/** `code:signal` → exit code and signal (0 = none). */
export function slurmExitCode(value: string): { exitCode: number; signal: number | null } {
  const m = /^(\d+):(\d+)$/.exec(value.trim())
  if (!m) throw new BatchError(`${JSON.stringify(value)} is no Slurm exit code`)
  return { exitCode: Number(m[1]), signal: m[2] === '0' ? null : Number(m[2]) }
}

/**
 * A Slurm state of a job that has not ended, or null for one that ended (its exit code comes from sacct).
 * An unknown state is an error: guessing could call a running job finished.
 */
export function slurmActiveStatus(state: string, reason: string | null): JobStatus | null {
  const name = slurmStateName(state)
  if (name === 'PENDING' && reason !== null && holdReasons.has(reason)) return jobStatus('held', { reason })
  if (queued.has(name)) return jobStatus('queued')
  if (running.has(name)) return jobStatus('running')
  if (held.has(name)) return jobStatus('held', { reason: reason ?? name })
  if (suspended.has(name)) return jobStatus('suspended')
  if (name === 'COMPLETED' || removed.has(name) || failed.has(name)) return null
  throw new BatchError(`${JSON.stringify(state)} is no Slurm job state`)
}

/** sacct's State and ExitCode of a job, ended or not. */
export function slurmAccountingStatus(state: string, exitCode: string): JobStatus {
  const name = slurmStateName(state)
  const active = slurmActiveStatus(state, null)
  if (active) return active
  const exit = slurmExitCode(exitCode)
  if (removed.has(name)) return jobStatus('removed')
  if (name === 'COMPLETED' && exit.exitCode === 0 && exit.signal === null) return jobStatus('completed', { exitCode: 0 })
  return jobStatus('failed', exit)
}
