import type { TaskRow } from '../db/tables.js'
import type { TaskEvent } from '../domain.js'

/** A resume request: changed parameters and the step to start again from (both optional). */
export interface ResumeBody {
  parameters?: Record<string, unknown>
  retry_from_step?: string
}

/**
 * What the API may ask of the engine about a task's lifecycle. Each call is one guarded transition (an
 * impossible one throws invalid_transition naming the current status) and answers with the task after it.
 */
export interface TaskControl {
  start(taskId: number): Promise<TaskRow>
  pause(taskId: number): Promise<TaskRow>
  /** `by`: who resumes (the API's user), logged as "resumed by <user>": the resume after a review is its approval. */
  resume(taskId: number, body?: ResumeBody, by?: string): Promise<TaskRow>
  cancel(taskId: number): Promise<TaskRow>
}

export type TaskEventListener = (event: TaskEvent) => void

/**
 * A task's events: the history from the database (`read`: every event after a seq, in order) and a live
 * feed of new ones (`subscribe`; a push is only a latency hint, the database is the truth).
 */
export interface TaskEventSource {
  subscribe(listener: TaskEventListener): () => void
  read(taskId: number, afterSeq: number, limit: number): Promise<TaskEvent[]>
}
