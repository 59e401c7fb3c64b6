import type { Db } from '../db/connect.js'
import { appendEvent } from '../db/event-repository.js'
import type { TaskRow, TaskWithSnapshot } from '../db/tables.js'
import { insertTask } from '../db/task-repository.js'
import type { Actor } from '../domain.js'
import { AppError } from '../errors.js'
import { describeParameterErrors, encodeParameter, resolveParameters } from '../workflows/parameters.js'
import type { WorkflowCatalog } from '../workflows/sync.js'
import { refuseDuplicate, writeConcurrency } from './task-identity.js'
import { statusData } from './task-state.js'

export interface TaskCreationDeps {
  db: Db
  workflows: WorkflowCatalog
  siteVars: Readonly<Record<string, string>>
}

export interface NewTaskRequest {
  workflowName: string
  /** Left out: "<workflow display name> <date_param>". */
  taskName?: string | undefined
  parameters: Record<string, unknown>
  /** Whose task it is. */
  userId: string
  /** Who or what made it: the signed-in user, or a schedule (kept as created_by: the user id, or schedule:<name>). */
  actor: Actor
}

/**
 * A new `pending` task of a workflow, with its parameters checked (defaults filled in and stored) and its exact
 * definition kept — the one way tasks are made, by the API and by schedules alike. Refuses an unknown workflow, bad
 * parameters, a workflow that cannot run, and a second unfinished task of the same workflow and date. Its first
 * event (→ pending) records the creation and who asked for it; it is not pushed live (nobody follows a task that
 * did not exist), a reader of the task's events finds it.
 */
export async function createTask(
  deps: TaskCreationDeps, request: NewTaskRequest,
  /** More writes that stand or fall with the task (a schedule's record of its firing). */
  within?: (trx: Db, task: TaskRow) => Promise<void>,
): Promise<TaskWithSnapshot> {
  const workflow = deps.workflows.get(request.workflowName)
  if (!workflow) throw new AppError('not_found', `workflow "${request.workflowName}" not found`)
  const resolved = resolveParameters(workflow.definition.parameters, request.parameters)
  if (!resolved.ok) {
    throw new AppError('invalid_parameters', describeParameterErrors(resolved.errors), { errors: resolved.errors })
  }
  if (!workflow.runnable) {
    throw new AppError('workflow_not_runnable',
      `workflow "${workflow.name}" cannot run yet: no implementation for step types ${workflow.missingStepTypes.join(', ')}`,
      { extra: { missing_step_types: workflow.missingStepTypes } })
  }
  const params = workflow.definition.parameters ?? {}
  const dateParam = resolved.values.date_param
  return deps.db.transaction().execute(async (trx) => {
    // The insert comes first: it takes SQLite's one write lock, so no other create can commit between the
    // duplicate check below and this one's commit (the check sees every task committed before it).
    const row = await insertTask(trx, {
      user_id: request.userId,
      created_by: request.actor.user_id,
      workflow_id: workflow.id,
      workflow_name: workflow.name,
      workflow_snapshot: workflow.definitionJson,
      task_name: request.taskName ?? `${workflow.definition.display_name}${typeof dateParam === 'string' ? ` ${dateParam}` : ''}`,
      date_param: typeof dateParam === 'string' ? dateParam : null,
    }, Object.entries(resolved.values).map(([name, value]) => ({
      param_name: name, param_value: encodeParameter(value), param_type: params[name]?.type ?? typeof value,
    })))
    await refuseDuplicate(trx, row)
    const task = await writeConcurrency(trx, row, workflow.definition, resolved.values, deps.siteVars) ?? row
    const created = await appendEvent(trx, row.id, { type: 'task.status', data: statusData(row, null, { action: 'create', actor: request.actor }) })
    await within?.(trx, task)
    return { ...task, last_seq: created.seq, workflow_snapshot: row.workflow_snapshot }
  })
}
