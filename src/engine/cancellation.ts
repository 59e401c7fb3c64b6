import type { Logger } from 'pino'
import { latestInterruptedExecution, runningExecutions } from '../db/execution-repository.js'
import type { TaskRow } from '../db/tables.js'
import type { HostTransports } from '../remote/transport-provider.js'
import { closeExecution } from './close-execution.js'
import type { EventStore } from './event-store.js'
import { killRecordedProcess, recordedGroup } from './orphans.js'
import { transitionTask } from './task-state.js'

/**
 * Ends a `cancelling` task that no runner is working on: kills what it recorded, closes its rows. Besides the
 * executions left running, that is the detached command of an attempt that was interrupted (a pause only stops
 * following it; a cancel ends it).
 */
export async function finishCancel(
  store: EventStore, task: TaskRow, transports: HostTransports, logger: Logger,
): Promise<TaskRow> {
  const targets = await runningExecutions(store.db, task.id)
  const interrupted = await latestInterruptedExecution(store.db, task.id)
  if (interrupted && recordedGroup(interrupted)?.detached) targets.push(interrupted)
  for (const execution of targets) await killRecordedProcess(store, execution, task, transports, logger)
  return store.commit(async (trx, emit) => {
    const now = new Date()
    for (const execution of await runningExecutions(trx, task.id)) {
      await closeExecution(trx, emit, execution, { status: 'cancelled', summary: null, error: 'cancelled' }, now)
    }
    return transitionTask(trx, emit, task.id, 'cancelled', { set: { completed_at: now.toISOString() }, action: 'finish cancelling' })
  })
}
