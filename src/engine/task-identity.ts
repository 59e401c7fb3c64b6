import type { Db } from '../db/connect.js'
import type { TaskRow } from '../db/tables.js'
import { otherUnfinishedTask, setTaskConcurrency } from '../db/task-repository.js'
import { AppError, messageOf } from '../errors.js'
import { renderConcurrency } from '../workflows/concurrency.js'
import type { WorkflowDefinition } from '../workflows/definition.js'
import { endStatuses } from './task-state.js'

/**
 * What a task's parameters make it stand for beside the others — the day it works on and the concurrency key it
 * holds — checked and written in the transaction that sets them: at creation, and again when a resume changes
 * its parameters.
 */

/** One unfinished task per workflow and date: two would work in the same folders (and remove each other's). */
export async function refuseDuplicate(trx: Db, task: Pick<TaskRow, 'id' | 'workflow_name' | 'date_param'>): Promise<void> {
  if (task.date_param === null) return
  const other = await otherUnfinishedTask(trx,
    { workflowName: task.workflow_name, dateParam: task.date_param, exceptId: task.id }, endStatuses)
  if (!other) return
  throw new AppError('duplicate_task', `task ${other.id} of ${task.workflow_name} for ${task.date_param} is ${other.status}: `
    + `cancel it, or wait until it ends, before another task works on that date`,
  { extra: { other_task_id: other.id, other_task_status: other.status } })
}

/** Renders and writes the task's concurrency key for `params` (nothing when its workflow has no such setting). */
export async function writeConcurrency(
  trx: Db, task: Pick<TaskRow, 'id' | 'user_id'>, definition: Pick<WorkflowDefinition, 'concurrency' | 'vars'>,
  params: Record<string, unknown>, siteVars: Readonly<Record<string, string>>,
): Promise<TaskRow | null> {
  let concurrency
  try {
    concurrency = renderConcurrency(definition, params, siteVars, { id: task.id, user_id: task.user_id })
  } catch (error) {
    throw new AppError('workflow_not_runnable', `the workflow's concurrency key cannot be rendered: ${messageOf(error)}`)
  }
  return concurrency ? setTaskConcurrency(trx, task.id, concurrency) : null
}
