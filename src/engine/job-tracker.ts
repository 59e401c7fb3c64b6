import type { Logger } from 'pino'
import type { BatchAdapter } from '../batch/adapter.js'
import { GroupPoller, type PollTiming } from '../batch/poller.js'
import { batchAdapter, toolsIn } from '../batch/registry.js'
import type { JobStatus } from '../batch/types.js'
import type { Db } from '../db/connect.js'
import { insertJobs, jobGroupName, setJobState, touchJobs, unfinishedJobs, type JobGroupKey } from '../db/job-repository.js'
import type { JobRow, NewJob } from '../db/tables.js'
import { describeJobEnd, type JobState } from '../domain.js'
import { messageOf } from '../errors.js'
import type { HostTransports } from '../remote/transport-provider.js'
import type { Emitter, EventStore } from './event-store.js'

export interface JobGroupHealth {
  /** Polls that failed in a row (0 after one that worked). */
  failures: number
  lastError: string | null
}

export interface JobTrackerDeps {
  store: EventStore
  transports: HostTransports
  /** The poll timing of a host (a host may have a longer minimum interval of its own). */
  timing: (host: string) => PollTiming
  logger: Pick<Logger, 'warn' | 'debug'>
}

interface Group {
  key: JobGroupKey
  adapter: BatchAdapter
  poller: GroupPoller
  /** The group's unfinished jobs by job id, as last written. */
  jobs: Map<string, JobRow>
  health: JobGroupHealth
}


/**
 * The cluster jobs of every task, watched by one GroupPoller per host + batch system (+ tool folder) whatever
 * the number of tasks. It holds the unfinished jobs in memory (loaded from remote_jobs at start, added as steps
 * record them), writes each change of state with its `job.state` event, and wakes the steps that wait on a
 * task's jobs. The database stays the truth; the wake-ups are only a latency hint to re-read it.
 */
export class JobTracker {
  readonly #groups = new Map<string, Group>()
  readonly #listeners = new Map<number, Set<() => void>>()
  #stopped = false

  constructor(private readonly deps: JobTrackerDeps) {}

  /** Takes up the unfinished jobs of remote_jobs (after a restart the polling continues from there). */
  async start(): Promise<void> {
    this.track(await unfinishedJobs(this.deps.store.db))
  }

  /**
   * Records jobs in the caller's transaction (the one writing the log line that revealed them), each with a
   * `job.state` event; they are watched once it commits. Ids already recorded for the task are skipped.
   */
  async record(trx: Db, emit: Emitter, rows: NewJob[]): Promise<JobRow[]> {
    const added = await insertJobs(trx, rows)
    for (const job of added) await emitState(emit, job, null)
    if (added.length > 0) emit.afterCommit(() => this.track(added))
    return added
  }

  track(rows: readonly JobRow[]): void {
    const nudged = new Set<Group>()
    for (const row of rows) {
      if (row.finished_at !== null) continue
      const group = this.group(row)
      group.jobs.set(row.job_id, row)
      nudged.add(group)
    }
    for (const group of nudged) group.poller.nudge()
  }

  /** The group of a job's host, system and tools (created on first use). */
  group(key: JobGroupKey): Group {
    const name = jobGroupName(key)
    let group = this.#groups.get(name)
    if (group) return group
    const adapter = batchAdapter(key.system, { tools: toolsIn(key.system, key.tools), user: this.deps.transports.userOf(key.host) })
    const jobs = new Map<string, JobRow>()
    const health: JobGroupHealth = { failures: 0, lastError: null }
    const poller = new GroupPoller({
      adapter, host: key.host, timing: this.deps.timing(key.host),
      transport: () => this.deps.transports.transportFor(key.host),
      jobs: () => [...jobs.values()].map((job) => ({ id: job.job_id, submittedAt: new Date(job.submitted_at) })),
      onResult: (statuses, at) => this.#apply(created, statuses, at),
      onFailure: (error, consecutive) => {
        health.failures = consecutive
        health.lastError = messageOf(error)
        this.deps.logger.warn({ err: error, host: key.host, system: key.system, consecutive }, 'a cluster job poll failed')
        this.#notify(new Set([...jobs.values()].map((job) => job.task_id)))
      },
    })
    const created: Group = { key: { host: key.host, system: key.system, tools: key.tools }, adapter, poller, jobs, health }
    if (this.#stopped) poller.stop()
    this.#groups.set(name, created)
    return created
  }

  /** How long after a submission the host's queue may not list a job yet. */
  lagWindowMs(host: string): number {
    return this.deps.timing(host).lagWindowMs
  }

  health(key: JobGroupKey): JobGroupHealth {
    return { ...(this.#groups.get(jobGroupName(key))?.health ?? { failures: 0, lastError: null }) }
  }

  /** Calls `listener` whenever a job of the task changes or a poll of one of its groups fails. */
  onTaskChange(taskId: number, listener: () => void): () => void {
    let set = this.#listeners.get(taskId)
    if (!set) this.#listeners.set(taskId, set = new Set())
    set.add(listener)
    return () => {
      set.delete(listener)
      if (set.size === 0) this.#listeners.delete(taskId)
    }
  }

  /** Writes states learned outside a poll (a removal the batch system accepted but no longer lists). */
  async applyStatuses(group: Group, statuses: Map<string, JobStatus>): Promise<void> {
    await this.#apply(group, statuses, new Date())
  }

  /** Every poll command run so far, by group (the bench reads it). */
  commandCounts(): Array<{ key: JobGroupKey; commands: number; jobs: number }> {
    return [...this.#groups.values()].map((g) => ({ key: g.key, commands: g.poller.commands, jobs: g.jobs.size }))
  }

  stop(): void {
    this.#stopped = true
    for (const group of this.#groups.values()) group.poller.stop()
  }

  async #apply(group: Group, statuses: Map<string, JobStatus>, at: Date): Promise<void> {
    const changed: Array<[JobRow, JobStatus]> = []
    const seen: number[] = []
    for (const [id, status] of statuses) {
      const job = group.jobs.get(id)
      if (!job) continue
      if (sameStatus(job, status)) seen.push(job.id)
      else changed.push([job, status])
    }
    const when = at.toISOString()
    if (changed.length > 0) {
      const rows = await this.deps.store.commit(async (trx, emit) => {
        const written: JobRow[] = []
        for (const [job, status] of changed) {
          const row = await setJobState(trx, job.id, {
            state: status.state, reason: status.reason, exitCode: status.exitCode, signal: status.signal,
          }, when)
          await emitState(emit, row, job.state)
          const line = changeLine(row)
          if (line) await emit.log({ taskId: row.task_id, executionId: row.execution_id, source: 'batch', ...line })
          written.push(row)
        }
        return written
      })
      for (const row of rows) {
        if (row.finished_at !== null) group.jobs.delete(row.job_id)
        else group.jobs.set(row.job_id, row)
      }
    }
    // one transaction for every row: 10,000 jobs are 20 statements, not 20 commits
    if (seen.length > 0) await this.deps.store.db.transaction().execute((trx) => touchJobs(trx, seen, when))
    group.health.failures = 0
    group.health.lastError = null
    this.#notify(new Set(changed.map(([job]) => job.task_id)))
  }

  #notify(taskIds: Set<number>): void {
    for (const taskId of taskIds) for (const listener of [...this.#listeners.get(taskId) ?? []]) listener()
  }
}

function sameStatus(job: JobRow, status: JobStatus): boolean {
  return job.state === status.state && job.reason === status.reason && job.exit_code === status.exitCode &&
    job.signal === status.signal
}

async function emitState(emit: Emitter, job: JobRow, previous: JobState | null): Promise<void> {
  await emit.event(job.task_id, {
    type: 'job.state',
    data: {
      job_id: job.job_id, host: job.host, system: job.system, step_id: job.step_name, execution_id: job.execution_id,
      state: job.state, previous, reason: job.reason, exit_code: job.exit_code,
    },
  })
}

/** The log line a change of state deserves: a held, failed or lost job is worth a line; the rest are counted. */
function changeLine(job: JobRow): { level: 'warning' | 'error'; message: string } | null {
  switch (job.state) {
    case 'held': return { level: 'warning', message: `job ${job.job_id} is held${job.reason ? `: ${job.reason}` : ''}` }
    case 'failed': return { level: 'error', message: `job ${job.job_id} failed: ${describeJobEnd(job)}` }
    case 'lost': return { level: 'error', message: `job ${job.job_id} is lost: ${job.reason ?? 'no longer known'}` }
    default: return null
  }
}
