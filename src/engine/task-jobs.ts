import { unfinishedJobsOfTask } from '../db/job-repository.js'
import type { LogLevel } from '../domain.js'
import { messageOf } from '../errors.js'
import { holdQueuedJobs, idList, releaseHeldJobs, removeJobs, type JobControlDeps } from './job-control.js'

/**
 * What the lifecycle of a task does to its cluster jobs — cancel removes them, pause holds the queued ones,
 * resume releases them (and removes those of steps that run again) — each written into the task's log. The
 * operations of one task run one after the other, so a resume's release never overtakes the pause's hold.
 */
export class TaskJobs {
  readonly #chains = new Map<number, Promise<unknown>>()

  constructor(private readonly deps: JobControlDeps) {}

  /**
   * Removes every unfinished job of the task and confirms it; resolves with a warning naming the jobs that are
   * not confirmed removed (null when all are, or when there were none).
   */
  cancel(taskId: number): Promise<string | null> {
    return this.#serial(taskId, async () => {
      const report = await removeJobs(this.deps, taskId)
      if (report.removed.length > 0) {
        this.#log(taskId, 'info', `removed ${report.removed.length} cluster job(s); a status query shows none of them queued or running: ${idList(report.removed)}`)
      }
      const left = [...report.refused, ...report.unconfirmed]
      if (left.length === 0) return null
      const warning = `${left.length} cluster job(s) may still be queued or running: ${left.slice(0, 10).map((j) => `${j.id} (${j.reason})`).join('; ')}${left.length > 10 ? ' …' : ''}`
      this.#log(taskId, 'warning', warning)
      return warning
    })
  }

  /** A task that failed waits for nothing any more: its unfinished jobs are removed (and that is logged). */
  async afterFailure(taskId: number): Promise<void> {
    await this.#serial(taskId, async () => {
      const report = await removeJobs(this.deps, taskId)
      if (report.removed.length > 0) {
        this.#log(taskId, 'info', `the task failed: removed ${report.removed.length} cluster job(s) it no longer waits for: ${idList(report.removed)}`)
      }
      for (const left of [...report.refused, ...report.unconfirmed]) this.#log(taskId, 'warning', `job ${left.id} may still run: ${left.reason}`)
    })
  }

  /** Holds the task's queued jobs (of steps with hold_on_pause); runs in the background. */
  pause(taskId: number): void {
    void this.#serial(taskId, async () => {
      const report = await holdQueuedJobs(this.deps, taskId)
      if (report.done.length > 0) this.#log(taskId, 'info', `held ${report.done.length} queued cluster job(s) while the task is paused: ${idList(report.done)}`)
      for (const refused of report.refused) this.#log(taskId, 'warning', `could not hold job ${refused.id}: ${refused.reason}`)
    }).catch((error: unknown) => this.#log(taskId, 'warning', `could not hold the queued jobs: ${messageOf(error)}`))
  }

  /** Before a resume: removes the unfinished jobs of the steps that run again, then releases what pause held. */
  resume(taskId: number, rerunSteps: readonly string[]): Promise<void> {
    return this.#serial(taskId, async () => {
      if (rerunSteps.length > 0) {
        const old = (await unfinishedJobsOfTask(this.deps.store.db, taskId)).filter((job) => rerunSteps.includes(job.step_name))
        if (old.length > 0) {
          const report = await removeJobs(this.deps, taskId, old)
          this.#log(taskId, 'info', `removed ${report.removed.length} unfinished job(s) of the steps that run again before resuming` +
            (report.removed.length ? `: ${idList(report.removed)}` : ''))
          for (const left of [...report.refused, ...report.unconfirmed]) this.#log(taskId, 'warning', `job ${left.id} may still run: ${left.reason}`)
        }
      }
      const report = await releaseHeldJobs(this.deps, taskId)
      if (report.done.length > 0) this.#log(taskId, 'info', `released ${report.done.length} cluster job(s) held during the pause: ${idList(report.done)}`)
      for (const refused of report.refused) this.#log(taskId, 'warning', `could not release job ${refused.id}: ${refused.reason}`)
    })
  }

  #log(taskId: number, level: LogLevel, message: string): void {
    this.deps.store.log({ taskId, level, message, source: 'batch' })
  }

  #serial<T>(taskId: number, work: () => Promise<T>): Promise<T> {
    const previous = this.#chains.get(taskId) ?? Promise.resolve()
    const next = previous.catch(() => {}).then(work)
    this.#chains.set(taskId, next)
    void next.catch(() => {}).finally(() => { if (this.#chains.get(taskId) === next) this.#chains.delete(taskId) })
    return next
  }
}
