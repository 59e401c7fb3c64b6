import { jobGroupName, type JobGroupKey } from '../db/job-repository.js'
import type { JobRow } from '../db/tables.js'
import { describeJobEnd, summarizeJobs, type JobState } from '../domain.js'
import type { StepContext, StepOutcome } from './step-type.js'

/** Where a wait on a step's jobs stands. */
export interface JobsVerdict {
  total: number
  completed: number
  /** Every job has finished, all of them completed with exit code 0. */
  allCompleted: boolean
  /** A job that failed, was removed by someone else or is lost: the wait fails at once, naming it. */
  failure: string | null
  /** A job held longer than held_pause_minutes: a person must look. */
  heldTooLong: string | null
  /** "37/40 done, 2 running, 1 held" */
  summary: string
  /** How soon a held job passes held_pause_minutes (null: none is held): the wait looks again then. */
  heldDeadlineMs: number | null
}

export function judgeJobs(jobs: readonly JobRow[], now: Date, heldPauseMs: number): JobsVerdict {
  const counts: Partial<Record<JobState, number>> = {}
  for (const job of jobs) counts[job.state] = (counts[job.state] ?? 0) + 1
  const completed = counts.completed ?? 0
  const bad = jobs.filter((job) => job.state === 'failed' || job.state === 'removed' || job.state === 'lost')
  const heldFor = (job: JobRow) => now.getTime() - Date.parse(job.state_since)
  const allHeld = jobs.filter((job) => job.state === 'held')
  const held = allHeld.filter((job) => heldFor(job) >= heldPauseMs)
  return {
    total: jobs.length,
    completed,
    allCompleted: completed === jobs.length,
    failure: bad.length === 0 ? null : `${describeJob(bad[0]!)}${bad.length > 1 ? ` (and ${bad.length - 1} more job(s) not completed)` : ''}`,
    heldTooLong: held.length === 0 ? null
      : `job ${held[0]!.job_id} has been held for ${Math.round((now.getTime() - Date.parse(held[0]!.state_since)) / 60_000)} min` +
        `${held[0]!.reason ? ` (${held[0]!.reason})` : ''}${held.length > 1 ? ` and ${held.length - 1} more` : ''}: release or remove it, then resume`,
    summary: summarizeJobs(counts),
    heldDeadlineMs: allHeld.length === 0 ? null : Math.max(0, Math.min(...allHeld.map((job) => heldPauseMs - heldFor(job)))),
  }
}

function describeJob(job: JobRow): string {
  switch (job.state) {
    case 'failed': return `job ${job.job_id} failed with ${describeJobEnd(job)}`
    case 'removed': return `job ${job.job_id} was removed${job.reason ? ` (${job.reason})` : ''}`
    default: return `job ${job.job_id} is lost: ${job.reason ?? 'neither the queue nor the history knows it'}`
  }
}

/**
 * Whether a person must look before the wait goes on: a job held too long, or a host whose batch system could
 * not be polled — the task pauses with the reason (and the wait continues after the resume).
 */
export function personNeeded(ctx: StepContext, jobs: readonly JobRow[], verdict: JobsVerdict): StepOutcome | null {
  return pollTrouble(ctx, jobs) ??
    (verdict.heldTooLong === null ? null : { status: 'interrupted', review: true, error: verdict.heldTooLong })
}

/** A host whose batch system could not be polled `limit` times in a row: the task pauses with the reason. */
function pollTrouble(ctx: StepContext, jobs: readonly JobRow[]): StepOutcome | null {
  const keys = new Map<string, JobGroupKey>()
  for (const job of jobs) if (job.finished_at === null) keys.set(jobGroupName(job), job)
  for (const key of keys.values()) {
    const health = ctx.jobs.health(key)
    if (health.failures >= health.limit) {
      return {
        status: 'interrupted', review: true,
        error: `the ${key.system} jobs on ${key.host} cannot be polled (${health.failures} failures in a row: ${health.lastError}); resume once the host answers`,
      }
    }
  }
  return null
}
