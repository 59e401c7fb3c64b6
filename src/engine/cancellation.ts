import type { Logger } from 'pino'
import { latestInterruptedExecution, runningExecutions } from '../db/execution-repository.js'
import type { TaskRow, TaskWithSnapshot } from '../db/tables.js'
import { findTask } from '../db/task-repository.js'
import type { HostTransports } from '../remote/transport-provider.js'
import { closeExecution } from './close-execution.js'
import type { EventStore } from './event-store.js'
import { killRecordedProcess, recordedGroup } from './orphans.js'
import type { TaskJobs } from './task-jobs.js'
import { transitionTask } from './task-state.js'

export interface CancelDeps {
  store: EventStore
  transports: HostTransports
  logger: Logger
  jobs: TaskJobs
}

/**
 * The one way a `cancelling` task ends: once no step of it runs any more (its runner stopped, or none holds
 * it), kills what it recorded, removes its cluster jobs and confirms that none is left queued or running, then
 * closes its rows. Until then the task stays `cancelling`. Besides the executions left running, what it kills
 * is the detached command of an attempt that was interrupted (a pause only stops following it; a cancel ends
 * it). Jobs that could not be removed are named in the log and in the task's reason: never silently left.
 */
export async function finishCancel(deps: CancelDeps, task: TaskRow | TaskWithSnapshot): Promise<TaskRow> {
  const { store } = deps
  const targets = await runningExecutions(store.db, task.id)
  const interrupted = await latestInterruptedExecution(store.db, task.id)
  if (interrupted && recordedGroup(interrupted)?.detached) targets.push(interrupted)
  // which host each step ran on is in the task's workflow snapshot: read only when the caller did not have it
  const running = targets.length === 0 ? undefined : 'workflow_snapshot' in task ? task : await findTask(store.db, task.id)
  if (running) for (const execution of targets) await killRecordedProcess(store, execution, running, deps.transports, deps.logger)
  const warning = await deps.jobs.cancel(task.id)
  return store.commit(async (trx, emit) => {
    const now = new Date()
    for (const execution of await runningExecutions(trx, task.id)) {
      await closeExecution(trx, emit, execution, { status: 'cancelled', summary: null, error: 'cancelled' }, now)
    }
    return transitionTask(trx, emit, task.id, 'cancelled', {
      set: { completed_at: now.toISOString() }, action: 'finish cancelling', reason: warning,
    })
  })
}
