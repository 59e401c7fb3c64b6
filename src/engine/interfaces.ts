import type { TaskRow } from '../db/tables.js'
import type { Actor, TaskEvent } from '../domain.js'

/** A resume request: changed parameters and the step to start again from (both optional). */
export interface ResumeBody {
  parameters?: Record<string, unknown>
  retry_from_step?: string
}

/**
 * What the API (and a schedule) may ask of the engine about a task's lifecycle. Each call is one guarded
 * transition (an impossible one throws invalid_transition naming the current status) and answers with the task
 * after it. `actor`, who asks, is recorded with the action in the task.status event; left out, the event names
 * none (a call from inside the server). A resume's actor is also logged as "resumed by <user>": the resume after a
 * review is its approval.
 */
export interface TaskControl {
  start(taskId: number, actor?: Actor): Promise<TaskRow>
  pause(taskId: number, actor?: Actor): Promise<TaskRow>
  resume(taskId: number, body?: ResumeBody, actor?: Actor): Promise<TaskRow>
  cancel(taskId: number, actor?: Actor): Promise<TaskRow>
}

export type TaskEventListener = (event: TaskEvent) => void

/**
 * A task's events: the history from the database (`read`: every event after a seq, in order) and a live
 * feed of new ones (`subscribe`; a push is only a latency hint, the database is the truth).
 */
export interface TaskEventSource {
  subscribe(listener: TaskEventListener): () => void
  read(taskId: number, afterSeq: number, limit: number): Promise<TaskEvent[]>
  /**
   * Someone follows the task live (until the returned function is called): its log lines are then written, and
   * pushed, after LOG_FLUSH_FOLLOWED_MS instead of LOG_FLUSH_MS.
   */
  follow?(taskId: number): () => void
}
