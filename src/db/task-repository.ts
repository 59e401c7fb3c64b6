import type { Db } from './connect.js'
import type { NewTask, TaskParameterRow, TaskRow, TaskUpdate, TaskWithSnapshot } from './tables.js'
import type { TaskStatus } from '../domain.js'
import { reusableQuery } from './reusable-query.js'

export interface TaskFilter {
  userId?: string | undefined
  status?: TaskStatus | undefined
  workflowName?: string | undefined
  dateParam?: string | undefined
  createdAfter?: string | undefined
  createdBefore?: string | undefined
}

export interface NewTaskParameter {
  param_name: string
  param_value: string
  param_type: string
}

/** The tasks with the workflows they run (task_snapshots), as the engine reads them to run, resume or stop them. */
function withSnapshots(db: Db) {
  return db.selectFrom('tasks').innerJoin('task_snapshots', 'task_snapshots.task_id', 'tasks.id')
    .selectAll('tasks').select('task_snapshots.workflow_snapshot')
}

export function findTask(db: Db, id: number): Promise<TaskWithSnapshot | undefined> {
  return withSnapshots(db).where('tasks.id', '=', id).executeTakeFirst()
}

function filtered(db: Db, filter: TaskFilter) {
  let query = db.selectFrom('tasks')
  if (filter.userId !== undefined) query = query.where('user_id', '=', filter.userId)
  if (filter.status !== undefined) query = query.where('status', '=', filter.status)
  if (filter.workflowName !== undefined) query = query.where('workflow_name', '=', filter.workflowName)
  if (filter.dateParam !== undefined) query = query.where('date_param', '=', filter.dateParam)
  if (filter.createdAfter !== undefined) query = query.where('created_at', '>=', filter.createdAfter)
  if (filter.createdBefore !== undefined) query = query.where('created_at', '<', filter.createdBefore)
  return query
}

/** What a task's summary (the API's Task) shows: every column but the workflow snapshot and the engine's own. */
export const taskSummaryColumns = [
  'id', 'user_id', 'workflow_id', 'workflow_name', 'task_name', 'date_param', 'status', 'status_reason',
  'progress_percentage', 'current_step', 'resume_from_step', 'error_message', 'last_seq', 'created_at', 'updated_at',
  'queued_at', 'started_at', 'completed_at', 'created_by', 'concurrency_key',
] as const satisfies readonly (keyof TaskRow)[]
export type TaskSummaryRow = Pick<TaskRow, typeof taskSummaryColumns[number]>

/** A task's summary columns: what the API routes read, leaving the snapshot (tens of KB) to TaskSnapshots. */
export const findTaskSummary = async (db: Db, id: number): Promise<TaskSummaryRow | undefined> => (await summaryById(db, id))[0]
const summaryById = reusableQuery((db: Db, id: number) => db.selectFrom('tasks').select(taskSummaryColumns).where('id', '=', id))

/**
 * Newest first; `id` breaks ties between tasks created in the same millisecond. Only the summary's columns: the
 * workflow snapshot, most of a row's bytes, is not read for a list.
 */
export async function listTasks(db: Db, filter: TaskFilter, page: { limit: number; offset: number }):
  Promise<{ rows: TaskSummaryRow[]; total: number }> {
  const rows = await filtered(db, filter).select(taskSummaryColumns)
    .orderBy('created_at', 'desc').orderBy('id', 'desc')
    .limit(page.limit).offset(page.offset).execute()
  const { total } = await filtered(db, filter).select((eb) => eb.fn.countAll<number>().as('total'))
    .executeTakeFirstOrThrow()
  return { rows, total: Number(total) }
}

/** Inserts a task and its parameters; the caller owns the transaction. */
export async function insertTask(trx: Db, task: NewTask, parameters: NewTaskParameter[]): Promise<TaskWithSnapshot> {
  const { workflow_snapshot, ...columns } = task
  const row = await trx.insertInto('tasks').values(columns).returningAll().executeTakeFirstOrThrow()
  await trx.insertInto('task_snapshots').values({ task_id: row.id, workflow_snapshot }).execute()
  if (parameters.length > 0) {
    await trx.insertInto('task_parameters').values(parameters.map((p) => ({ ...p, task_id: row.id }))).execute()
  }
  return { ...row, workflow_snapshot }
}

/** In the order they were stored. (Sorted here: the (task_id, param_name) index would make SQLite sort in a temp b-tree.) */
export async function listTaskParameters(db: Db, taskId: number): Promise<TaskParameterRow[]> {
  return (await parametersOf(db, taskId)).sort((a, b) => a.id - b.id)
}
const parametersOf = reusableQuery((db: Db, taskId: number) => db.selectFrom('task_parameters').selectAll().where('task_id', '=', taskId))

/*
 * The engine's task writes. Each takes the caller's transaction: the engine brackets them with the events they
 * cause (event-store.ts), and its guarded transition (engine/task-state.ts) decides which statuses may move.
 */

export async function taskStatus(db: Db, id: number): Promise<TaskStatus | undefined> {
  const row = await db.selectFrom('tasks').select('status').where('id', '=', id).executeTakeFirst()
  return row?.status
}

/** Moves a task to `status` only while it is in one of `sources` (the guard); undefined when it is not. */
export function updateTaskStatusFrom(
  trx: Db, id: number, sources: readonly TaskStatus[], change: TaskUpdate & { status: TaskStatus },
): Promise<TaskRow | undefined> {
  return trx.updateTable('tasks').set({ ...change, updated_at: new Date().toISOString() })
    .where('id', '=', id).where('status', 'in', sources).returningAll().executeTakeFirst()
}

export type SchedulingRow = Pick<TaskRow,
  'id' | 'status' | 'status_reason' | 'started_at' | 'queued_at' | 'concurrency_key' | 'concurrency_limit'>

/**
 * What the scheduler decides on, in queue order (FIFO by queued_at; id breaks ties): every queued task, and every
 * task with a concurrency key in one of `holding` (started, not ended).
 */
export function schedulingRows(db: Db, holding: readonly TaskStatus[]): Promise<SchedulingRow[]> {
  return db.selectFrom('tasks')
    .select(['id', 'status', 'status_reason', 'started_at', 'queued_at', 'concurrency_key', 'concurrency_limit'])
    .where((eb) => eb.or([
      eb('status', '=', 'queued'),
      eb.and([eb('concurrency_key', 'is not', null), eb('status', 'in', holding)]),
    ]))
    .orderBy('queued_at').orderBy('id').execute()
}

/** A queued task's reason while it waits; undefined when it has left `queued` meanwhile (it keeps its own). */
export function setQueuedReason(trx: Db, id: number, reason: string | null): Promise<Pick<TaskRow, 'user_id'> | undefined> {
  return trx.updateTable('tasks').set({ status_reason: reason, updated_at: new Date().toISOString() })
    .where('id', '=', id).where('status', '=', 'queued').returning(['user_id']).executeTakeFirst()
}

/** The task's rendered concurrency setting (written once, when it is created). */
export function setTaskConcurrency(
  trx: Db, id: number, concurrency: Pick<TaskRow, 'concurrency_key' | 'concurrency_limit'>,
): Promise<TaskRow> {
  return trx.updateTable('tasks').set(concurrency).where('id', '=', id).returningAll().executeTakeFirstOrThrow()
}

/** The oldest task of the workflow for that date, other than `exceptId`, whose status is not one of `ended`. */
export function otherUnfinishedTask(
  db: Db, of: { workflowName: string; dateParam: string; exceptId: number }, ended: readonly TaskStatus[],
): Promise<Pick<TaskRow, 'id' | 'status'> | undefined> {
  return db.selectFrom('tasks').select(['id', 'status'])
    .where('workflow_name', '=', of.workflowName).where('date_param', '=', of.dateParam)
    .where('id', '!=', of.exceptId).where('status', 'not in', ended)
    .orderBy('id').limit(1).executeTakeFirst()
}

/** Tasks that a runner was working on (running, pausing, cancelling), oldest first. */
export function unfinishedTasks(db: Db): Promise<TaskWithSnapshot[]> {
  return withSnapshots(db).where('tasks.status', 'in', ['running', 'pausing', 'cancelling']).orderBy('tasks.id').execute()
}

/** Where the task's runner stands; answers the task's user (for the task.progress event). */
export async function setTaskProgress(
  trx: Db, id: number, progress: { percentage: number; currentStep: string | null; resumeFromStep?: string | null },
): Promise<{ user_id: string }> {
  return trx.updateTable('tasks')
    .set({
      progress_percentage: progress.percentage, current_step: progress.currentStep, updated_at: new Date().toISOString(),
      ...(progress.resumeFromStep === undefined ? {} : { resume_from_step: progress.resumeFromStep }),
    })
    .where('id', '=', id).returning(['user_id']).executeTakeFirstOrThrow()
}

/** The step the task starts from when it runs again (resume_from_step). */
export async function setTaskCursor(trx: Db, id: number, resumeFromStep: string | null): Promise<void> {
  await trx.updateTable('tasks').set({ resume_from_step: resumeFromStep }).where('id', '=', id).execute()
}

/** A running step's heartbeat, on its execution and on its task. */
export async function stampHeartbeat(db: Db, taskId: number, executionId: number, at: string): Promise<void> {
  await db.updateTable('task_executions').set({ heartbeat_at: at }).where('id', '=', executionId).execute()
  await db.updateTable('tasks').set({ heartbeat_at: at }).where('id', '=', taskId).execute()
}

export async function upsertTaskParameter(trx: Db, taskId: number, parameter: NewTaskParameter): Promise<void> {
  const updated = await trx.updateTable('task_parameters').set({ param_value: parameter.param_value })
    .where('task_id', '=', taskId).where('param_name', '=', parameter.param_name).executeTakeFirst()
  if (Number(updated.numUpdatedRows) === 0) await trx.insertInto('task_parameters').values({ ...parameter, task_id: taskId }).execute()
}

/** When a task's runner last beat: on the task, or on any of its executions (each attempt stamps one as it starts). */
export async function lastHeartbeat(db: Db, taskId: number): Promise<string | null> {
  const beats = db.selectFrom('tasks').select('heartbeat_at').where('id', '=', taskId)
    .unionAll(db.selectFrom('task_executions').select('heartbeat_at').where('task_id', '=', taskId))
    .as('beats')
  const row = await db.selectFrom(beats).select((eb) => eb.fn.max('beats.heartbeat_at').as('beat')).executeTakeFirst()
  return row?.beat ?? null
}

/** Every task of the workflow and round that has a day (date_param), newest first (id breaks ties). */
export function dayTasksOfRound(db: Db, workflow: string, round: string) {
  return db.selectFrom('tasks')
    .innerJoin('task_parameters as p', (join) => join.onRef('p.task_id', '=', 'tasks.id')
      .on('p.param_name', '=', 'round').on('p.param_value', '=', round))
    .select(['tasks.id', 'tasks.user_id', 'tasks.date_param', 'tasks.status', 'tasks.status_reason', 'tasks.current_step',
      'tasks.progress_percentage', 'tasks.created_at', 'tasks.updated_at'])
    .where('tasks.workflow_name', '=', workflow).where('tasks.date_param', 'is not', null)
    .orderBy('tasks.created_at', 'desc').orderBy('tasks.id', 'desc')
    .execute()
}

/** The workflow snapshots of the tasks (JSON text, read by TaskSnapshots). */
export function workflowSnapshots(db: Db, ids: readonly number[]): Promise<Pick<TaskWithSnapshot, 'id' | 'workflow_snapshot'>[]> {
  if (ids.length === 0) return Promise.resolve([])
  return db.selectFrom('task_snapshots').select(['task_id as id', 'workflow_snapshot']).where('task_id', 'in', [...ids]).execute()
}
