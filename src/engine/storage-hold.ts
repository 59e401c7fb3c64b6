import type { Config } from '../config.js'
import { runningExecutions } from '../db/execution-repository.js'
import { describeFault, storageFault, type StorageFault } from '../db/storage-fault.js'
import { findTask } from '../db/task-repository.js'
import { finishCancel, type CancelDeps } from './cancellation.js'
import { closeExecution } from './close-execution.js'
import { retryDelaySeconds, type RetryPolicy } from './retry-policy.js'
import type { StopHandle } from './stop-handle.js'
import { transitionTask } from './task-state.js'

export interface StorageHoldDeps extends CancelDeps {
  config: Pick<Config, 'STORAGE_RETRY_MAX_SECONDS'>
}

/** The first delay between two tries to write after a storage fault; it doubles up to STORAGE_RETRY_MAX_SECONDS. */
export const STORAGE_RETRY_FIRST_SECONDS = 0.5

export const storageRetryPolicy = (config: Pick<Config, 'STORAGE_RETRY_MAX_SECONDS'>): RetryPolicy => ({
  maxRetries: Infinity,
  baseDelaySeconds: Math.min(STORAGE_RETRY_FIRST_SECONDS, config.STORAGE_RETRY_MAX_SECONDS),
  maxDelaySeconds: config.STORAGE_RETRY_MAX_SECONDS,
})

/**
 * A write of the runner failed on the storage (disk full, I/O error, read-only database): nothing about the task
 * can be recorded now, and it must not stay `running` with no runner once writes work again, holding its slot.
 * So the runner keeps the task (and its slot) and tries again with a doubling delay; the first write that goes
 * through pauses the task at the step it was on, the attempt that was open closed as failed with what happened —
 * a person looks before it goes on, since the step may have done its work unrecorded — or, when a cancel had
 * committed first, ends the cancel. A shutdown ends the wait: recovery at the next start takes the task from there.
 */
export async function holdAfterStorageFault(
  deps: StorageHoldDeps, taskId: number, run: StopHandle, fault: StorageFault,
): Promise<void> {
  const policy = storageRetryPolicy(deps.config)
  for (let attempt = 1; ; attempt++) {
    // only a shutdown ends the wait early: a pause or cancel asked before the fault would make it spin
    await run.sleep(retryDelaySeconds(policy, attempt) * 1000, (request) => request === 'shutdown')
    if (run.shuttingDown) {
      deps.logger.warn({ task_id: taskId }, 'shutdown while database writes fail: the task is left to recovery')
      return
    }
    try {
      if (await pauseForStorage(deps, taskId, fault) === 'cancelling') {
        const task = await findTask(deps.store.db, taskId)
        if (task?.status === 'cancelling') await finishCancel(deps, task)
      }
      deps.logger.info({ task_id: taskId }, 'database writes work again: the task is recorded')
      return
    } catch (error) {
      if (!storageFault(error)) throw error
    }
  }
}

/** Pauses a running (or pausing) task after a storage fault; tells when it is cancelling instead, or has ended. */
async function pauseForStorage(deps: StorageHoldDeps, taskId: number, fault: StorageFault):
  Promise<'paused' | 'cancelling' | 'ended'> {
  return deps.store.commit(async (trx, emit) => {
    const task = await findTask(trx, taskId)
    if (task?.status === 'cancelling') return 'cancelling'
    if (!task || (task.status !== 'running' && task.status !== 'pausing')) return 'ended'
    const open = await runningExecutions(trx, taskId)
    const at = open.at(-1)?.step_name ?? task.resume_from_step
    const what = `a database write failed (${describeFault(fault)}, ${fault.code})`
    const now = new Date()
    for (const execution of open) {
      await closeExecution(trx, emit, execution,
        { status: 'failed', summary: execution.output_summary, error: `${what}: how this attempt ended could not be recorded` }, now)
    }
    const reason = `${what}${at ? ` during step ${at}` : ''}; check the step's work, then resume`
    await transitionTask(trx, emit, taskId, 'paused', {
      from: ['running', 'pausing'], reason, set: { resume_from_step: at },
    })
    await emit.log({ taskId, executionId: open.at(-1)?.id ?? null, level: 'error', source: 'engine', message: `paused: ${reason}` })
    return 'paused'
  })
}

/**
 * Writes that no runner waits for — the recovery of a task at boot, the end of a cancel — tried again in the
 * background after a storage fault, the delay doubling, until they go through: else the task would stay
 * `running` or `cancelling` with nobody to end it until the next restart. Stopped on shutdown.
 */
export class BackgroundRetries {
  readonly #timers = new Set<NodeJS.Timeout>()
  #stopped = false

  constructor(private readonly policy: RetryPolicy, private readonly logger: CancelDeps['logger']) {}

  /** Runs `write` again later; a write that fails on the storage once more is tried again, any other error logged. */
  retry(what: string, write: () => Promise<void>, attempt = 1): void {
    if (this.#stopped) return
    const timer = setTimeout(() => {
      this.#timers.delete(timer)
      if (this.#stopped) return
      write().catch((error: unknown) => {
        if (storageFault(error)) this.retry(what, write, attempt + 1)
        else this.logger.error({ err: error }, `could not ${what}`)
      })
    }, retryDelaySeconds(this.policy, attempt) * 1000)
    timer.unref()
    this.#timers.add(timer)
  }

  stop(): void {
    this.#stopped = true
    for (const timer of this.#timers) clearTimeout(timer)
    this.#timers.clear()
  }
}
