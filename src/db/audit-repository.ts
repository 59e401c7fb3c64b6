import { sql } from 'kysely'
import type { Db } from './connect.js'
import type { LifecycleAction, TaskStatusData } from '../domain.js'
import { reusableQuery } from './reusable-query.js'

/**
 * The lifecycle actions (create, start, pause, resume, cancel) as their task.status events record them: the
 * events are the one record of who did what, read here with json_extract on the payload. Transitions the engine
 * made by itself, and events from before actions were recorded, have no `action` and are not actions.
 */

/** One recorded action: the event's place in its task's history and what it says. */
export interface ActionRecord {
  task_id: number
  seq: number
  at: string
  data: TaskStatusData & { action: LifecycleAction }
}

export interface ActionFilter {
  /** Who acted: a user id, or schedule:<name>. */
  actor?: string | undefined
  /** Whose task it is. */
  userId?: string | undefined
  taskId?: number | undefined
  action?: LifecycleAction | undefined
  /** ISO-8601 UTC bounds on the event's time: since inclusive, until exclusive. */
  since?: string | undefined
  until?: string | undefined
}

const field = (path: string) => sql<string | null>`json_extract(payload, ${path})`
// Word for word the WHERE of the partial index idx_events_actions (migration 0007), so that SQLite uses it.
const isAction = sql<boolean>`(type = 'task.status' AND json_extract(payload, '$.action') IS NOT NULL)`

/** The task.status events that are actions and match the filter (no columns chosen yet). */
export function selectActions(db: Db, filter: ActionFilter) {
  let query = db.selectFrom('task_events').where(isAction)
  if (filter.taskId !== undefined) query = query.where('task_id', '=', filter.taskId)
  if (filter.action !== undefined) query = query.where(field('$.action'), '=', filter.action)
  if (filter.actor !== undefined) query = query.where(field('$.actor.user_id'), '=', filter.actor)
  if (filter.userId !== undefined) query = query.where(field('$.user_id'), '=', filter.userId)
  if (filter.since !== undefined) query = query.where('created_at', '>=', filter.since)
  if (filter.until !== undefined) query = query.where('created_at', '<', filter.until)
  return query
}

const toRecord = (row: { task_id: number; seq: number; created_at: string; payload: string }): ActionRecord =>
  ({ task_id: row.task_id, seq: row.seq, at: row.created_at, data: JSON.parse(row.payload) as ActionRecord['data'] })

/** Newest first (a task's own actions in reverse seq order), with the count of all that match. */
export async function listActions(db: Db, filter: ActionFilter, page: { limit: number; offset: number }):
  Promise<{ rows: ActionRecord[]; total: number }> {
  const rows = await selectActions(db, filter).select(['task_id', 'seq', 'created_at', 'payload'])
    .orderBy('created_at', 'desc').orderBy('task_id', 'desc').orderBy('seq', 'desc')
    .limit(page.limit).offset(page.offset).execute()
  const { total } = await selectActions(db, filter).select((eb) => eb.fn.countAll<number>().as('total'))
    .executeTakeFirstOrThrow()
  return { rows: rows.map(toRecord), total: Number(total) }
}

/** A task's actions, oldest first. */
export async function taskActions(db: Db, taskId: number): Promise<ActionRecord[]> {
  return (await actionsOf(db, taskId)).map(toRecord)
}
const actionsOf = reusableQuery((db: Db, taskId: number) =>
  selectActions(db, { taskId }).select(['task_id', 'seq', 'created_at', 'payload']).orderBy('seq'))
