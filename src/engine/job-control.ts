import { setTimeout as delay } from 'node:timers/promises'
import { controlJobs } from '../batch/control.js'
import { jobStatus, type ControlAction } from '../batch/types.js'
import { jobGroupName, markHoldRequested, unfinishedJobsOfTask } from '../db/job-repository.js'
import type { JobRow } from '../db/tables.js'
import { messageOf } from '../errors.js'
import type { HostTransports } from '../remote/transport-provider.js'
import type { EventStore } from './event-store.js'
import { isActiveJob } from '../domain.js'
import type { JobTracker } from './job-tracker.js'

export interface JobControlDeps {
  store: EventStore
  tracker: JobTracker
  transports: HostTransports
}

/** What a removal achieved: ids removed (confirmed by a status query), refused, or still listed as active. */
export interface RemovalReport {
  removed: string[]
  refused: Array<{ id: string; reason: string }>
  /** Accepted by the batch system but still queued or running at the last check, or not checkable. */
  unconfirmed: Array<{ id: string; reason: string }>
}

const CONFIRM_TRIES = 5
const CONTROL_TIMEOUT_MS = 60_000

/** Jobs of one group together: one command per group of ids. */
function byGroup(jobs: JobRow[]): JobRow[][] {
  const groups = new Map<string, JobRow[]>()
  for (const job of jobs) {
    const name = jobGroupName(job)
    const list = groups.get(name)
    if (list) list.push(job)
    else groups.set(name, [job])
  }
  return [...groups.values()]
}

/**
 * Removes jobs and confirms it with a status query of the batch system: a job counts as removed only once the
 * queue no longer shows it queued, running or held. `jobs` defaults to every unfinished job of the task.
 */
export async function removeJobs(deps: JobControlDeps, taskId: number, jobs?: JobRow[]): Promise<RemovalReport> {
  const targets = jobs ?? await unfinishedJobsOfTask(deps.store.db, taskId)
  const report: RemovalReport = { removed: [], refused: [], unconfirmed: [] }
  for (const rows of byGroup(targets.filter((job) => job.finished_at === null))) {
    const group = deps.tracker.group(rows[0]!)
    deps.tracker.track(rows)
    const ids = rows.map((job) => job.job_id)
    let accepted: string[]
    try {
      const result = await controlJobs(group.adapter, deps.transports.transportFor(group.key.host), 'cancel', ids,
        AbortSignal.timeout(CONTROL_TIMEOUT_MS))
      accepted = result.accepted
      report.refused.push(...result.refused)
    } catch (error) {
      report.unconfirmed.push(...ids.map((id) => ({ id, reason: `the removal failed: ${messageOf(error)}` })))
      continue
    }
    let active = accepted
    let failure: string | null = null
    for (let attempt = 1; attempt <= CONFIRM_TRIES && active.length > 0; attempt++) {
      try {
        const statuses = await group.poller.pollNow()
        failure = null
        active = active.filter((id) => { const s = statuses.get(id); return s !== undefined && isActiveJob(s.state) })
      } catch (error) {
        failure = `its removal could not be checked: ${messageOf(error)}`
      }
      if (active.length > 0 && attempt < CONFIRM_TRIES) await delay(attempt * 500)
    }
    // Accepted and no longer listed as active: removed, also when the queue (lag) or the history does not say so.
    const gone = accepted.filter((id) => !active.includes(id))
    const unlisted = gone.filter((id) => group.jobs.has(id))
    await deps.tracker.applyStatuses(group, new Map(unlisted.map((id) => [id, jobStatus('removed', { reason: 'removed on cancel' })])))
    report.removed.push(...gone)
    report.unconfirmed.push(...active.map((id) => ({ id, reason: failure ?? 'still listed as active after the removal' })))
  }
  return report
}

/** Holds the task's queued jobs whose step asked for it (hold_on_pause) — on a pause. */
export async function holdQueuedJobs(deps: JobControlDeps, taskId: number): Promise<ControlReport> {
  const jobs = (await unfinishedJobsOfTask(deps.store.db, taskId)).filter((job) => job.hold_on_pause === 1 && job.state === 'queued')
  return control(deps, jobs, 'hold')
}

/** Releases the jobs this service held on a pause — on a resume. */
export async function releaseHeldJobs(deps: JobControlDeps, taskId: number): Promise<ControlReport> {
  const jobs = (await unfinishedJobsOfTask(deps.store.db, taskId)).filter((job) => job.hold_requested === 1)
  return control(deps, jobs, 'release')
}

export interface ControlReport {
  done: string[]
  refused: Array<{ id: string; reason: string }>
}

async function control(deps: JobControlDeps, jobs: JobRow[], action: 'hold' | 'release'): Promise<ControlReport> {
  const report: ControlReport = { done: [], refused: [] }
  for (const rows of byGroup(jobs)) {
    const group = deps.tracker.group(rows[0]!)
    const ids = rows.map((job) => job.job_id)
    try {
      const result = await controlJobs(group.adapter, deps.transports.transportFor(group.key.host), action satisfies ControlAction, ids,
        AbortSignal.timeout(CONTROL_TIMEOUT_MS))
      const done = new Set(result.accepted)
      await markHoldRequested(deps.store.db, rows.filter((job) => done.has(job.job_id)).map((job) => job.id), action === 'hold')
      report.done.push(...result.accepted)
      report.refused.push(...result.refused)
    } catch (error) {
      report.refused.push(...ids.map((id) => ({ id, reason: messageOf(error) })))
    }
    group.poller.nudge()
  }
  return report
}

/** "123.0, 124.0 … (+38)" */
export function idList(ids: readonly string[], max = 10): string {
  return ids.length <= max ? ids.join(', ') : `${ids.slice(0, max).join(', ')} … (+${ids.length - max})`
}
