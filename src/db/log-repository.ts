import type { Db } from './connect.js'
import type { TaskLogRow } from './tables.js'
import type { LogLevel } from '../domain.js'

export const logLevels: readonly LogLevel[] = ['debug', 'info', 'warning', 'error']

/** A level filter means "this level and more severe": warning → warning, error. */
export function levelsFrom(level: LogLevel | undefined): LogLevel[] | undefined {
  return level === undefined ? undefined : logLevels.slice(logLevels.indexOf(level))
}

export interface TaskLogQuery {
  taskId: number
  level?: LogLevel | undefined
  /** Only lines with a larger seq (a cursor: the last seq the client has). */
  after?: number | undefined
  limit: number
  offset: number
}

function taskLines(db: Db, query: TaskLogQuery) {
  let q = db.selectFrom('task_logs').where('task_id', '=', query.taskId)
  const levels = levelsFrom(query.level)
  if (levels) q = q.where('level', 'in', levels)
  if (query.after !== undefined) q = q.where('seq', '>', query.after)
  return q
}

/** A task's log lines in the order they happened (seq ascending). */
export async function listTaskLogs(db: Db, query: TaskLogQuery): Promise<{ rows: TaskLogRow[]; total: number }> {
  const rows = await taskLines(db, query).selectAll().orderBy('seq').limit(query.limit).offset(query.offset).execute()
  const { total } = await taskLines(db, query).select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow()
  return { rows, total: Number(total) }
}

export interface LogQuery {
  taskId?: number | undefined
  /** Restricts to tasks of this user (non-admin callers). */
  userId?: string | undefined
  level?: LogLevel | undefined
  limit: number
  offset: number
}

function lines(db: Db, query: LogQuery) {
  let q = db.selectFrom('task_logs').innerJoin('tasks', 'tasks.id', 'task_logs.task_id')
  if (query.taskId !== undefined) q = q.where('task_logs.task_id', '=', query.taskId)
  if (query.userId !== undefined) q = q.where('tasks.user_id', '=', query.userId)
  const levels = levelsFrom(query.level)
  if (levels) q = q.where('task_logs.level', 'in', levels)
  return q
}

/** Log lines across tasks, newest first. */
export async function listLogs(db: Db, query: LogQuery): Promise<{ rows: TaskLogRow[]; total: number }> {
  const rows = await lines(db, query).selectAll('task_logs').orderBy('task_logs.id', 'desc')
    .limit(query.limit).offset(query.offset).execute()
  const { total } = await lines(db, query).select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow()
  return { rows, total: Number(total) }
}
