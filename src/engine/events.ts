/**
 * Task events. Each carries the task's id and a `seq` that strictly increases per task; the database row is
 * written before the event is pushed, so a client that asks for "everything after seq N" can always rebuild.
 */
export interface EventBase<T extends string, D> {
  task_id: number
  seq: number
  type: T
  at: string
  data: D
}

export type TaskStatus =
  | 'pending' | 'queued' | 'running' | 'pausing' | 'paused' | 'cancelling' | 'cancelled' | 'success' | 'failed'
export type ExecutionStatus =
  | 'pending' | 'running' | 'success' | 'failed' | 'timeout' | 'cancelled' | 'skipped' | 'interrupted'
export type LogLevel = 'debug' | 'info' | 'warning' | 'error'

export type TaskEvent =
  | EventBase<'task.status', { status: TaskStatus; previous: TaskStatus | null; reason: string | null; user_id: string }>
  | EventBase<'task.progress', { progress_percentage: number; current_step: string | null; user_id: string }>
  | EventBase<'step.started', { execution_id: number; step_id: string; attempt: number }>
  | EventBase<'step.finished', { execution_id: number; step_id: string; status: ExecutionStatus; error: string | null }>
  | EventBase<'step.retry', { execution_id: number; step_id: string; attempt: number; delay_seconds: number }>
  | EventBase<'step.output', { execution_id: number; step_id: string; name: string; output_type: string; value: unknown }>
  | EventBase<'log', { execution_id: number | null; level: LogLevel; message: string; source: string | null }>

export type TaskEventType = TaskEvent['type']
