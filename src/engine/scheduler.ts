import type { Logger } from 'pino'
import type { TaskRow } from '../db/tables.js'
import type { EventStore } from './event-store.js'

/**
 * Keeps at most `maxParallel` tasks running. Waiting tasks stay `queued`, first in first out by queued_at;
 * whenever a slot frees (or a task is queued) the next one is claimed at once. A claim is one guarded UPDATE
 * (… WHERE id = (oldest queued) AND status = 'queued' RETURNING *), so a task can never be claimed twice.
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
      const now = new Date().toISOString()
      const row = await trx.updateTable('tasks')
        .set({ status: 'running', status_reason: null, updated_at: now, started_at: (eb) => eb.fn.coalesce('started_at', eb.val(now)) })
        .where('status', '=', 'queued')
        .where('id', '=', (eb) => eb.selectFrom('tasks').select('id').where('status', '=', 'queued')
          .orderBy('queued_at').orderBy('id').limit(1))
        .returningAll()
        .executeTakeFirst()
      if (!row) return null
      await emit.event(row.id, {
        type: 'task.status', data: { status: 'running', previous: 'queued', reason: null, user_id: row.user_id },
      })
      return row
    })
  }
}
