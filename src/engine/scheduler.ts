import type { Logger } from 'pino'
import { storageFault } from '../db/storage-fault.js'
import type { TaskRow } from '../db/tables.js'
import { schedulingRows, type SchedulingRow } from '../db/task-repository.js'
import { blockersOf, holdingStatuses, isWaitReason, waitReason } from './concurrency.js'
import type { EventStore } from './event-store.js'
import { retryDelaySeconds, type RetryPolicy } from './retry-policy.js'
import { endStatuses, noteQueuedReason, tryTransition } from './task-state.js'

/**
 * Keeps at most `maxParallel` tasks running. Waiting tasks stay `queued`, first in first out by queued_at;
 * whenever a slot frees (or a task is queued) the next one is claimed at once. A claim is the guarded transition
 * queued → running, in the transaction that decided it, so a task can never be claimed twice.
 * A task whose concurrency key is taken (concurrency.ts) is passed over without taking a slot, its reason saying
 * what it waits for; since that changes with any other task's status, every status change is a reason to look again.
 */
export class Scheduler {
  readonly #active = new Map<number, Promise<void>>()
  #stopped = false
  #claiming: Promise<void> = Promise.resolve()
  #unsubscribe: (() => void) | null = null
  #retryTimer: NodeJS.Timeout | null = null
  #storageRetries = 0

  constructor(
    private readonly store: EventStore,
    private readonly maxParallel: number,
    private readonly launch: (task: TaskRow) => Promise<void>,
    private readonly logger: Logger,
    /** The delays between claims tried again after a storage fault. */
    private readonly storageRetry: RetryPolicy,
  ) {}

  /**
   * Claims queued tasks while slots are free; resolves once this round of claims is done. From the first kick on
   * (not during the recovery before it), every status change of a task kicks too — but the end of a task this
   * scheduler runs is taken up when its runner returns, which frees its slot (a look before would see none free).
   */
  kick(): Promise<void> {
    if (!this.#stopped) {
      this.#unsubscribe ??= this.store.bus.subscribe((event) => {
        if (event.type !== 'task.status' || event.data.status === event.data.previous) return
        if (this.#active.has(event.task_id) && endStatuses.includes(event.data.status)) return
        void this.kick()
      })
    }
    this.#claiming = this.#claiming.then(() => this.#fill()).then(() => { this.#storageRetries = 0 }, (error: unknown) => {
      this.logger.error({ err: error }, 'scheduler could not claim a task')
      if (storageFault(error)) this.#kickLater()
    })
    return this.#claiming
  }

  /** No more claims; running tasks go on until they stop. */
  stop(): void {
    this.#stopped = true
    this.#unsubscribe?.()
    if (this.#retryTimer) clearTimeout(this.#retryTimer)
  }

  /**
   * A claim that failed on the storage (disk full…) is tried again, the delay doubling: no status change may come
   * to kick it once writes work again, and queued tasks would wait beside a free slot.
   */
  #kickLater(): void {
    if (this.#stopped || this.#retryTimer) return
    const delay = retryDelaySeconds(this.storageRetry, ++this.#storageRetries)
    this.#retryTimer = setTimeout(() => { this.#retryTimer = null; void this.kick() }, delay * 1000)
    this.#retryTimer.unref()
  }

  get running(): number[] {
    return [...this.#active.keys()]
  }

  /** Resolves when every task this scheduler launched has stopped — a claim under way included. */
  async idle(): Promise<void> {
    do {
      await this.#claiming
      await Promise.allSettled([...this.#active.values()])
    } while (this.#active.size > 0)
  }

  async #fill(): Promise<void> {
    if (this.#stopped) return
    for (const task of await this.#claim(this.maxParallel - this.#active.size)) {
      const done = this.launch(task).catch((error: unknown) => {
        this.logger.error({ err: error, task_id: task.id }, 'task runner crashed')
      }).finally(() => {
        if (this.#active.get(task.id) === done) this.#active.delete(task.id)
        void this.kick()
      })
      this.#active.set(task.id, done)
    }
  }

  /**
   * One pass over the queue in one transaction: claims up to `free` tasks that may run, in queue order, and
   * writes the reason of each one that stays queued (a claim counts at once against the tasks behind it).
   */
  #claim(free: number): Promise<TaskRow[]> {
    return this.store.commit(async (trx, emit) => {
      const tasks = await schedulingRows(trx, holdingStatuses)
      const claimed: TaskRow[] = []
      for (const [index, task] of tasks.entries()) {
        if (task.status !== 'queued') continue
        const blockers = blockersOf(task, tasks)
        if (blockers.length === 0 && claimed.length < free) {
          const row = await tryTransition(trx, emit, task.id, 'running', {
            from: ['queued'], set: { started_at: task.started_at ?? new Date().toISOString() },
          })
          if (row) {
            claimed.push(row)
            tasks[index] = row satisfies SchedulingRow
          }
          continue
        }
        const reason = blockers.length > 0 ? waitReason(task, blockers) : isWaitReason(task.status_reason) ? null : task.status_reason
        if (reason !== task.status_reason) await noteQueuedReason(trx, emit, task.id, reason)
      }
      return claimed
    })
  }
}
