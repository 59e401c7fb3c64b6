import type { Logger } from 'pino'
import { finishExecution, parseJsonColumn, runningExecutions } from '../db/execution-repository.js'
import type { ExecutionRow, TaskRow } from '../db/tables.js'
import type { StepDefinition, WorkflowDefinition } from '../workflows/definition.js'
import type { EventStore } from './event-store.js'
import { transitionTask } from './task-transitions.js'
import type { TransportFor } from './transports.js'

/**
 * Kills the process group an execution recorded (remote_handle.pgid) on the step's host. Used when no runner
 * holds the step's AbortSignal any more: a cancel found after a restart, or an orphan of a crashed server.
 */
export async function killRecordedProcess(
  execution: ExecutionRow, task: TaskRow, transportFor: TransportFor, logger: Logger,
): Promise<void> {
  const handle = parseJsonColumn<{ pgid?: unknown; startTime?: unknown }>(execution.remote_handle)
  const pgid = handle?.pgid
  if (typeof pgid !== 'number') return
  // the leader's start time guards against a pid reused since it was recorded
  const startTime = typeof handle?.startTime === 'string' ? handle.startTime : null
  const step = stepsOf(task).find((s) => s.id === execution.step_name)
  try {
    const transport = transportFor(step?.host)
    await transport.killProcessGroup(pgid, 'TERM', startTime)
    logger.info({ task_id: task.id, execution_id: execution.id, pgid }, 'killed the process group of an interrupted step')
  } catch (error) {
    logger.warn({ err: error, task_id: task.id, pgid }, 'could not kill the process group of an interrupted step')
  }
}

/** Ends a `cancelling` task that no runner is working on: kills what it recorded, closes its rows. */
export async function finishCancel(
  store: EventStore, task: TaskRow, transportFor: TransportFor, logger: Logger,
): Promise<TaskRow> {
  for (const execution of await runningExecutions(store.db, task.id)) {
    await killRecordedProcess(execution, task, transportFor, logger)
  }
  return store.commit(async (trx, emit) => {
    const now = new Date().toISOString()
    for (const execution of await runningExecutions(trx, task.id)) {
      await finishExecution(trx, execution.id, {
        status: 'cancelled', end_time: now, duration_seconds: null, output_summary: null, error_details: 'cancelled',
      })
      await emit.event(task.id, {
        type: 'step.finished',
        data: { execution_id: execution.id, step_id: execution.step_name, status: 'cancelled', error: 'cancelled' },
      })
    }
    return transitionTask(trx, emit, task.id, 'cancelled', { set: { completed_at: now }, action: 'finish cancelling' })
  })
}

export function stepsOf(task: TaskRow): StepDefinition[] {
  return (JSON.parse(task.workflow_snapshot) as WorkflowDefinition).steps as unknown as StepDefinition[]
}
