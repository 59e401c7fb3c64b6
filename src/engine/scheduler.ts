import type { Logger } from 'pino'
import type { TaskRow } from '../db/tables.js'
import { oldestQueuedTask } from '../db/task-repository.js'
import type { EventStore } from './event-store.js'
import { tryTransition } from './task-state.js'

/**
 * Keeps at most `maxParallel` tasks running. Waiting tasks stay `queued`, first in first out by queued_at;
 * whenever a slot frees (or a task is queued) the next one is claimed at once. A claim is the guarded transition
 * queued → running of the oldest queued task, in one transaction, so a task can never be claimed twice.
 */
export class Scheduler {
  readonly #active = new Map<number, Promise<void>>()
  #stopped = false
  #claiming: Promise<void> = Promise.resolve()

  constructor(
    private readonly store: EventStore,
    private readonly maxParallel: number,
    private readonly launch: (task: TaskRow) => Promise<void>,
    private readonly logger: Logger,
  ) {}

  /** Claims queued tasks while slots are free; resolves once this round of claims is done. */
  kick(): Promise<void> {
    this.#claiming = this.#claiming.then(() => this.#fill()).catch((error: unknown) => {
      this.logger.error({ err: error }, 'scheduler could not claim a task')
    })
    return this.#claiming
  }

  /** No more claims; running tasks go on until they stop. */
  stop(): void {
    this.#stopped = true
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
    while (!this.#stopped && this.#active.size < this.maxParallel) {
      const task = await this.#claim()
      if (!task) return
      const done = this.launch(task).catch((error: unknown) => {
        this.logger.error({ err: error, task_id: task.id }, 'task runner crashed')
      }).finally(() => {
        if (this.#active.get(task.id) === done) this.#active.delete(task.id)
        void this.kick()
      })
      this.#active.set(task.id, done)
    }
  }

  #claim(): Promise<TaskRow | null> {
    return this.store.commit(async (trx, emit) => {
      const next = await oldestQueuedTask(trx)
      if (!next) return null
      return tryTransition(trx, emit, next.id, 'running', {
        from: ['queued'], set: { started_at: next.started_at ?? new Date().toISOString() },
      })
    })
  }
}
