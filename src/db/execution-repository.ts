import type { Db } from './connect.js'
import type { Database, ExecutionRow } from './tables.js'
import { sql, type Insertable } from 'kysely'
import type { ExecutionStatus } from '../domain.js'
import { reusableQuery } from './reusable-query.js'

/** task_executions: one row per attempt of a step. */

const executionsOf = (db: Db, taskId: number) => db.selectFrom('task_executions').where('task_id', '=', taskId)
const inStepOrder = (db: Db, taskId: number) =>
  executionsOf(db, taskId).selectAll().orderBy('step_order').orderBy('attempt').orderBy('id')

/** Every attempt of every step, in step order then attempt order. */
export const listExecutions: (db: Db, taskId: number) => Promise<ExecutionRow[]> = reusableQuery(inStepOrder)

/** One page of `listExecutions`, and how many attempts the task has in all. */
export async function listExecutionsPage(db: Db, taskId: number, page: { limit: number; offset: number }):
  Promise<{ rows: ExecutionRow[]; total: number }> {
  const rows = await inStepOrder(db, taskId).limit(page.limit).offset(page.offset).execute()
  const { total } = await executionsOf(db, taskId).select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow()
  return { rows, total: Number(total) }
}

export function findExecution(db: Db, id: number): Promise<ExecutionRow | undefined> {
  return db.selectFrom('task_executions').selectAll().where('id', '=', id).executeTakeFirst()
}

export async function insertExecution(trx: Db, row: Insertable<Database['task_executions']>): Promise<ExecutionRow> {
  return trx.insertInto('task_executions').values(row).returningAll().executeTakeFirstOrThrow()
}

export interface ExecutionEnd {
  status: ExecutionStatus
  end_time: string
  duration_seconds: number | null
  output_summary: string | null
  error_details: string | null
}

export async function finishExecution(trx: Db, id: number, end: ExecutionEnd): Promise<void> {
  await trx.updateTable('task_executions').set(end).where('id', '=', id).execute()
}

export async function saveProgressState(db: Db, id: number, state: unknown): Promise<void> {
  await db.updateTable('task_executions')
    .set({ progress_state: JSON.stringify(state ?? null), heartbeat_at: new Date().toISOString() })
    .where('id', '=', id).execute()
}

export async function saveRemoteHandle(db: Db, id: number, handle: Record<string, unknown>): Promise<void> {
  await db.updateTable('task_executions').set({ remote_handle: JSON.stringify(handle) }).where('id', '=', id).execute()
}

export async function runningExecutions(db: Db, taskId: number): Promise<ExecutionRow[]> {
  return db.selectFrom('task_executions').selectAll()
    .where('task_id', '=', taskId).where('status', '=', 'running').orderBy('id').execute()
}

/**
 * The task's most recent attempt that was interrupted (or set aside by retry_from_step, `cancelled`) — a detached
 * command of it may still run — or undefined.
 */
export async function latestInterruptedExecution(db: Db, taskId: number): Promise<ExecutionRow | undefined> {
  return db.selectFrom('task_executions').selectAll()
    .where('task_id', '=', taskId).where('status', 'in', ['interrupted', 'cancelled'])
    .orderBy('id', 'desc').limit(1).executeTakeFirst()
}

/** The most recent attempt of a step, or undefined. */
export async function latestExecutionOf(db: Db, taskId: number, stepName: string): Promise<ExecutionRow | undefined> {
  return db.selectFrom('task_executions').selectAll()
    .where('task_id', '=', taskId).where('step_name', '=', stepName)
    .orderBy('id', 'desc').limit(1).executeTakeFirst()
}

export async function countAttempts(db: Db, taskId: number, stepName: string): Promise<number> {
  const row = await db.selectFrom('task_executions').select((eb) => eb.fn.countAll<number>().as('n'))
    .where('task_id', '=', taskId).where('step_name', '=', stepName).executeTakeFirstOrThrow()
  return Number(row.n)
}

export function parseJsonColumn<T>(text: string | null): T | null {
  if (text === null) return null
  try { return JSON.parse(text) as T } catch { return null }
}

/**
 * Sets aside the interrupted attempts of the given steps (they are not continued): `cancelled`, with `note` added
 * to their error.
 */
export async function cancelInterruptedFrom(trx: Db, taskId: number, stepNames: string[], note: string): Promise<void> {
  if (stepNames.length === 0) return
  await trx.updateTable('task_executions')
    .set({ status: 'cancelled', error_details: sql<string>`coalesce(error_details || '; ', '') || ${note}` })
    .where('task_id', '=', taskId).where('status', '=', 'interrupted').where('step_name', 'in', stepNames)
    .execute()
}

/** Attempts still `running` whose last heartbeat (or, before the first, their start) is older than `before`. */
export function silentExecutions(db: Db, before: string): Promise<ExecutionRow[]> {
  return db.selectFrom('task_executions').selectAll().where('status', '=', 'running')
    .where((eb) => eb(eb.fn.coalesce('heartbeat_at', 'start_time'), '<', before)).orderBy('id').execute()
}
