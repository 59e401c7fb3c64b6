import type { Kysely } from 'kysely'
import type { Db } from './connect.js'
import type { Database, NewTask, TaskParameterRow, TaskRow } from './tables.js'
import type { TaskStatus } from '../domain.js'

type Conn = Db | Kysely<Database>

export interface TaskFilter {
  userId?: string | undefined
  status?: TaskStatus | undefined
  workflowName?: string | undefined
  createdAfter?: string | undefined
  createdBefore?: string | undefined
}

export interface NewTaskParameter {
  param_name: string
  param_value: string
  param_type: string
}

export function findTask(db: Conn, id: number): Promise<TaskRow | undefined> {
  return db.selectFrom('tasks').selectAll().where('id', '=', id).executeTakeFirst()
}

function filtered(db: Conn, filter: TaskFilter) {
  let query = db.selectFrom('tasks')
  if (filter.userId !== undefined) query = query.where('user_id', '=', filter.userId)
  if (filter.status !== undefined) query = query.where('status', '=', filter.status)
  if (filter.workflowName !== undefined) query = query.where('workflow_name', '=', filter.workflowName)
  if (filter.createdAfter !== undefined) query = query.where('created_at', '>=', filter.createdAfter)
  if (filter.createdBefore !== undefined) query = query.where('created_at', '<', filter.createdBefore)
  return query
}

/** Newest first; `id` breaks ties between tasks created in the same millisecond. */
export async function listTasks(db: Conn, filter: TaskFilter, page: { limit: number; offset: number }):
  Promise<{ rows: TaskRow[]; total: number }> {
  const rows = await filtered(db, filter).selectAll()
    .orderBy('created_at', 'desc').orderBy('id', 'desc')
    .limit(page.limit).offset(page.offset).execute()
  const { total } = await filtered(db, filter).select((eb) => eb.fn.countAll<number>().as('total'))
    .executeTakeFirstOrThrow()
  return { rows, total: Number(total) }
}

/** Inserts a task and its parameters; the caller owns the transaction. */
export async function insertTask(trx: Conn, task: NewTask, parameters: NewTaskParameter[]): Promise<TaskRow> {
  const row = await trx.insertInto('tasks').values(task).returningAll().executeTakeFirstOrThrow()
  if (parameters.length > 0) {
    await trx.insertInto('task_parameters').values(parameters.map((p) => ({ ...p, task_id: row.id }))).execute()
  }
  return row
}

export function listTaskParameters(db: Conn, taskId: number): Promise<TaskParameterRow[]> {
  return db.selectFrom('task_parameters').selectAll().where('task_id', '=', taskId).orderBy('id').execute()
}
