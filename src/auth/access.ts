import type { Db } from '../db/connect.js'
import { findTaskSummary, type TaskSummaryRow } from '../db/task-repository.js'
import type { Actor } from '../domain.js'
import { AppError } from '../errors.js'
import type { Principal } from './token.js'

export const isAdmin = (principal: Principal) => principal.role === 'admin'

/** The caller as the actor of a lifecycle action: their id and the role they act in. */
export const actorOf = (principal: Principal): Actor => ({ user_id: principal.userId, role: principal.role })

/** The one visibility rule, for REST and the WebSocket alike: a user sees their own tasks; an admin sees all. */
export function maySee(principal: Principal, ownerId: string): boolean {
  return isAdmin(principal) || ownerId === principal.userId
}

/** The task if it exists and the caller may see it; otherwise undefined. */
export async function visibleTask(db: Db, principal: Principal, taskId: number): Promise<TaskSummaryRow | undefined> {
  const task = await findTaskSummary(db, taskId)
  return task && maySee(principal, task.user_id) ? task : undefined
}

/** A task the caller may see: their own, or any for an admin. Someone else's task is "not found". */
export async function findVisibleTask(db: Db, principal: Principal, taskId: number): Promise<TaskSummaryRow> {
  const task = await visibleTask(db, principal, taskId)
  if (!task) throw new AppError('not_found', `task ${taskId} not found`)
  return task
}

/**
 * A row that belongs to a task (an execution, an artifact), visible when its task is. A missing row and a row
 * of someone else's task get the same "<kind> <id> not found", which never tells whose it is.
 */
export async function findVisible<T extends { task_id: number }>(db: Db, principal: Principal, kind: string, id: number,
  find: (db: Db, id: number) => Promise<T | undefined>): Promise<T> {
  const row = await find(db, id)
  if (!row || !(await visibleTask(db, principal, row.task_id))) throw new AppError('not_found', `${kind} ${id} not found`)
  return row
}

/**
 * The user a request acts for: the caller by default; another user only for an admin (403 otherwise).
 */
export function actingUser(principal: Principal, requested: string | undefined): string {
  if (requested === undefined || requested === principal.userId) return principal.userId
  if (isAdmin(principal)) return requested
  throw new AppError('forbidden', `you may not act for user "${requested}"`)
}

/** The user filter of a list: non-admins see only their own rows; admins all, or the user they ask for. */
export function listScope(principal: Principal, requested: string | undefined): string | undefined {
  if (isAdmin(principal)) return requested
  return actingUser(principal, requested)
}
