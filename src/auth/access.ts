import type { Db } from '../db/connect.js'
import { findTask } from '../db/task-repository.js'
import type { TaskRow } from '../db/tables.js'
import { AppError } from '../errors.js'
import type { Principal } from './token.js'

export const isAdmin = (principal: Principal) => principal.role === 'admin'

/** A task the caller may see: their own, or any for an admin. Someone else's task is "not found". */
export async function findVisibleTask(db: Db, principal: Principal, taskId: number): Promise<TaskRow> {
  const task = await findTask(db, taskId)
  if (!task || (!isAdmin(principal) && task.user_id !== principal.userId)) {
    throw new AppError('not_found', `task ${taskId} not found`)
  }
  return task
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
