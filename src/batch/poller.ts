import type { Transport } from '../remote/transport.js'
import type { JobState } from '../domain.js'
import type { BatchAdapter } from './adapter.js'
import { missingJobState } from './missing-job.js'
import { runBatchCommand } from './tool-output.js'
import { jobStatus, type JobStatus } from './types.js'
import { probes } from '../probes.js'

/** A job the poller asks about: its id and when it was submitted (for the lag window). */
export interface WatchedJob { id: string; submittedAt: Date }

export interface PollTiming {
  /** Right after a submission (or a nudge): the first poll comes this soon, … */
  minIntervalMs: number
  /** … and each quiet poll doubles the interval up to this steady one. */
  maxIntervalMs: number
  /** A job that neither queue nor history knows is `lost` only once this long after its submission. */
  lagWindowMs: number
  /** One poll may take this long before it counts as failed. */
  timeoutMs: number
}

export interface GroupPollerOptions {
  adapter: BatchAdapter
  /** The host polled (named in the poll measurements). */
  host: string
  transport: () => Transport
  timing: PollTiming
  /** The unfinished jobs of the group, as they are now. */
  jobs: () => WatchedJob[]
  /** What one poll learned: a status for every job it could tell (a job without verdict is absent). */
  onResult: (statuses: Map<string, JobStatus>, at: Date) => Promise<void>
  /** A poll failed (the host, the tool, its output): an infrastructure fault, never a job's. */
  onFailure: (error: unknown, consecutive: number) => void
}

/**
 * Watches every job of one host + batch system for all tasks: one queue command per interval (split only where
 * a command line would be too long), then the history for the ids the queue no longer shows. The interval is
 * short after a submission and grows to a steady one: schedulers ask not to be queried more than about once a
 * minute. Polls never overlap; `pollNow` (cancel's confirmation) waits for the one in flight, then runs its own.
 */
export class GroupPoller {
  #timer: NodeJS.Timeout | null = null
  /** When the armed timer fires (Date.now() time). */
  #dueAt = 0
  #intervalMs: number
  #running: Promise<Map<string, JobStatus>> | null = null
  #failures = 0
  #stopped = false
  /** Commands run in all (the bench counts them). */
  commands = 0

  constructor(private readonly options: GroupPollerOptions) {
    this.#intervalMs = options.timing.minIntervalMs
  }

  /** New jobs were submitted: poll soon, then slow down again. */
  nudge(): void {
    this.#intervalMs = this.options.timing.minIntervalMs
    // A poll already due as soon stays due: submissions coming faster than the interval must not put it off for ever.
    if (this.#timer && this.#dueAt - Date.now() <= this.#intervalMs) return
    this.#schedule(this.#intervalMs)
  }

  /** Polls at once (after the poll in flight) and resolves with what it learned; rejects when it failed. */
  async pollNow(): Promise<Map<string, JobStatus>> {
    while (this.#running) await this.#running.catch(() => {})
    return this.#poll()
  }

  get consecutiveFailures(): number {
    return this.#failures
  }

  stop(): void {
    this.#stopped = true
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = null
  }

  #schedule(ms: number): void {
    if (this.#stopped) return
    if (this.#timer) clearTimeout(this.#timer)
    this.#dueAt = Date.now() + ms
    this.#timer = setTimeout(() => {
      this.#timer = null
      void this.#cycle()
    }, ms)
    this.#timer.unref()
  }

  async #cycle(): Promise<void> {
    if (this.#running) return this.#schedule(this.#intervalMs)
    if (this.options.jobs().length === 0) return // idle until the next nudge
    await this.#poll().catch(() => {})
    this.#intervalMs = Math.min(this.#intervalMs * 2, this.options.timing.maxIntervalMs)
    if (this.options.jobs().length > 0) this.#schedule(this.#intervalMs)
  }

  #poll(): Promise<Map<string, JobStatus>> {
    const started = performance.now()
    const measured = (ok: boolean) => probes.jobPoll.publish({
      host: this.options.host, system: this.options.adapter.system, seconds: (performance.now() - started) / 1000, ok,
    })
    const run = this.#query().then(async (statuses) => {
      measured(true)
      this.#failures = 0
      await this.options.onResult(statuses, new Date())
      return statuses
    }, (error: unknown) => {
      measured(false)
      this.#failures++
      this.options.onFailure(error, this.#failures)
      throw error
    })
    this.#running = run.finally(() => { this.#running = null })
    return this.#running
  }

  async #query(): Promise<Map<string, JobStatus>> {
    const jobs = this.options.jobs()
    const statuses = new Map<string, JobStatus>()
    if (jobs.length === 0) return statuses
    const { adapter } = this.options
    const transport = this.options.transport()
    const signal = AbortSignal.timeout(this.options.timing.timeoutMs)
    const ids = jobs.map((job) => job.id)
    for (const command of adapter.queueCommands(ids)) {
      this.commands++
      for (const [id, status] of adapter.parseQueue(command, await runBatchCommand(transport, command, signal))) {
        statuses.set(id, status)
      }
    }
    const missing = ids.filter((id) => !statuses.has(id))
    if (missing.length > 0) {
      for (const command of adapter.historyCommands(missing)) {
        this.commands++
        for (const [id, status] of adapter.parseHistory(command, await runBatchCommand(transport, command, signal))) {
          statuses.set(id, status)
        }
      }
    }
    const now = new Date()
    for (const job of jobs) {
      if (statuses.has(job.id)) continue
      const verdict: JobState | null = missingJobState(job.submittedAt, now, this.options.timing.lagWindowMs)
      if (verdict) statuses.set(job.id, jobStatus(verdict, { reason: 'neither the queue nor the history knows it' }))
    }
    return statuses
  }
}
