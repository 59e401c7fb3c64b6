import type { Logger } from 'pino'
import { latestInterruptedExecution, parseJsonColumn, runningExecutions } from '../db/execution-repository.js'
import { stopProcessGroup } from '../remote/stop-group.js'
import type { ExecutionRow, TaskRow } from '../db/tables.js'
import { closeExecution } from './close-execution.js'
import type { EventStore } from './event-store.js'
import { taskSteps } from './snapshot.js'
import { transitionTask } from './task-transitions.js'
import type { TransportFor } from './transports.js'

interface RecordedGroup { pgid: number; startTime: string | null; detached: boolean; dir: string | null }

/** The process group an execution recorded (remote_handle), if any. */
export function recordedGroup(execution: Pick<ExecutionRow, 'remote_handle'>): RecordedGroup | null {
  const handle = parseJsonColumn<{ pgid?: unknown; startTime?: unknown; detached?: unknown; dir?: unknown }>(execution.remote_handle)
  if (typeof handle?.pgid !== 'number') return null
  return {
    pgid: handle.pgid,
    // the leader's start time guards against a pid reused since it was recorded
    startTime: typeof handle.startTime === 'string' ? handle.startTime : null,
    detached: handle.detached === true,
    dir: typeof handle.dir === 'string' ? handle.dir : null,
  }
}

/**
 * Stops the process group an execution recorded on the step's host (stopProcessGroup: TERM, grace, KILL). Used
 * when no runner holds the step's AbortSignal: a cancel found after a restart or of a paused task, an orphan of
 * a crashed server. What happened goes into the task's log; a kill that failed is a warning there.
 */
export async function killRecordedProcess(
  store: EventStore, execution: ExecutionRow, task: TaskRow, transportFor: TransportFor, logger: Logger,
): Promise<void> {
  const group = recordedGroup(execution)
  if (!group) return
  const step = taskSteps(task).find((s) => s.id === execution.step_name)
  try {
    const outcome = await stopProcessGroup(transportFor(step?.host), group)
    if (outcome === 'gone' || outcome === 'reused') return
    logger.info({ task_id: task.id, execution_id: execution.id, pgid: group.pgid }, 'killed the process group of a stopped step')
    store.log(task.id, execution.id, 'info', `process group ${group.pgid} of step ${execution.step_name} killed`, 'engine')
  } catch (error) {
    logger.warn({ err: error, task_id: task.id, pgid: group.pgid }, 'could not kill the process group of a stopped step')
    store.log(task.id, execution.id, 'warning', `${(error as Error).message}; it may still run`, 'engine')
  }
}

/**
 * Ends a `cancelling` task that no runner is working on: kills what it recorded, closes its rows. Besides the
 * executions left running, that is the detached command of an attempt that was interrupted (a pause only stops
 * following it; a cancel ends it).
 */
export async function finishCancel(
  store: EventStore, task: TaskRow, transportFor: TransportFor, logger: Logger,
): Promise<TaskRow> {
  const targets = await runningExecutions(store.db, task.id)
  const interrupted = await latestInterruptedExecution(store.db, task.id)
  if (interrupted && recordedGroup(interrupted)?.detached) targets.push(interrupted)
  for (const execution of targets) await killRecordedProcess(store, execution, task, transportFor, logger)
  return store.commit(async (trx, emit) => {
    const now = new Date()
    for (const execution of await runningExecutions(trx, task.id)) {
      await closeExecution(trx, emit, execution, { status: 'cancelled', summary: null, error: 'cancelled' }, now)
    }
    return transitionTask(trx, emit, task.id, 'cancelled', { set: { completed_at: now.toISOString() }, action: 'finish cancelling' })
  })
}
