import type { Db } from '../db/connect.js'
import { finishExecution } from '../db/execution-repository.js'
import type { ExecutionRow } from '../db/tables.js'
import type { ExecutionStatus } from '../domain.js'
import type { Emitter } from './event-store.js'

/** How an attempt ended, as its execution row keeps it. */
export interface ExecutionEnding {
  status: ExecutionStatus
  summary: string | null
  error: string | null
}

/**
 * The one way an execution row is closed — a finished attempt, a cancel, a restart that interrupted it, a
 * runner that failed: status, end time, duration, summary and error are written and `step.finished` is emitted
 * in the same transaction, so no client is left showing a finished step as running.
 */
export async function closeExecution(
  trx: Db, emit: Emitter, execution: ExecutionRow, ending: ExecutionEnding, end: Date = new Date(),
): Promise<void> {
  const started = execution.start_time ? Date.parse(execution.start_time) : end.getTime()
  await finishExecution(trx, execution.id, {
    status: ending.status, end_time: end.toISOString(), duration_seconds: (end.getTime() - started) / 1000,
    output_summary: ending.summary, error_details: ending.error,
  })
  await emit.event(execution.task_id, {
    type: 'step.finished',
    data: { execution_id: execution.id, step_id: execution.step_name, status: ending.status, error: ending.error },
  })
}
