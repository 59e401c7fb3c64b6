import type { Db } from '../db/connect.js'
import type { TaskRow, TaskUpdate } from '../db/tables.js'
import { setQueuedReason, taskStatus, updateTaskStatusFrom } from '../db/task-repository.js'
import type { Actor, LifecycleAction, TaskStatus, TaskStatusData } from '../domain.js'
import { AppError } from '../errors.js'
import type { Emitter } from './event-store.js'

/**
 * The task state table. Every status change — the scheduler's claim included — goes through `tryTransition`
 * (or `transitionTask`, which throws when it fails), whose UPDATE is guarded by the states listed here, so two
 * concurrent requests cannot both move the same task, and whose task.status event is the only one written
 * (besides noteQueuedReason's, for a task that stays queued with a new reason).
 */
export const transitions: Readonly<Record<TaskStatus, readonly TaskStatus[]>> = {
  pending: ['queued', 'cancelling'],
  queued: ['running', 'cancelling'],
  // running → paused: a `pause_after` checkpoint or a restart that interrupted a step; running → queued: recovery
  running: ['pausing', 'paused', 'queued', 'success', 'failed', 'cancelling'],
  // the step that was running when the pause came may still end the task
  pausing: ['paused', 'success', 'failed', 'cancelling'],
  paused: ['queued', 'cancelling'],
  cancelling: ['cancelled'],
  cancelled: [],
  success: [],
  failed: [],
}

/** Where a task ends: no status leaves these (success, failed, cancelled). */
export const endStatuses = (Object.keys(transitions) as TaskStatus[]).filter((status) => transitions[status].length === 0)

export function canTransition(from: TaskStatus, to: TaskStatus): boolean {
  return transitions[from].includes(to)
}

/** Every status from which `to` may be reached, optionally narrowed to `only`. */
export function sourcesOf(to: TaskStatus, only?: readonly TaskStatus[]): TaskStatus[] {
  return (Object.keys(transitions) as TaskStatus[])
    .filter((from) => transitions[from].includes(to) && (!only || only.includes(from)))
}

export interface TransitionOptions {
  /** Narrows the states the task may leave (default: every state the table allows for `to`). */
  from?: readonly TaskStatus[]
  reason?: string | null
  /** Other columns written by the same UPDATE. */
  set?: TaskUpdate
  /** For the error message: "cannot finish cancelling" (default: the asked action's name). */
  action?: string
  /** The lifecycle action someone asked for, recorded in the event; absent: the engine moves the task itself. */
  asked?: AskedAction
}

/** A lifecycle action as its task.status event records it: what, who, and a resume's changes. */
export type AskedAction = { action: LifecycleAction; actor: Actor | null } & Pick<TaskStatusData, 'changes' | 'retry_from_step'>

/** The data of a task.status event: the move, whose task, and who asked for it (null: the engine). */
export function statusData(task: { user_id: string; status: TaskStatus; status_reason: string | null },
  previous: TaskStatus | null, asked?: AskedAction): TaskStatusData {
  return { status: task.status, previous, reason: task.status_reason, user_id: task.user_id, actor: null, action: null, ...asked }
}

/**
 * Moves a task to `to` with one guarded UPDATE (… WHERE status IN (allowed sources) RETURNING *) and writes
 * the task.status event in the same transaction. When the guard fails — an impossible transition, or a
 * concurrent request that won — it throws invalid_transition naming the status the task is in now.
 */
export async function transitionTask(
  trx: Db, emit: Emitter, taskId: number, to: TaskStatus, options: TransitionOptions = {},
): Promise<TaskRow> {
  const row = await tryTransition(trx, emit, taskId, to, options)
  if (row) return row
  const current = await taskStatus(trx, taskId)
  if (!current) throw new AppError('not_found', `task ${taskId} not found`)
  throw new AppError('invalid_transition',
    `task ${taskId} is ${current}: cannot ${options.action ?? options.asked?.action ?? `move it to ${to}`}`,
    { extra: { current_status: current } })
}

/** Like transitionTask, but gives null instead of throwing when the guard fails. */
export async function tryTransition(
  trx: Db, emit: Emitter, taskId: number, to: TaskStatus, options: TransitionOptions = {},
): Promise<TaskRow | null> {
  const previous = await taskStatus(trx, taskId)
  if (!previous) return null
  const reason = options.reason ?? null
  const row = await updateTaskStatusFrom(trx, taskId, sourcesOf(to, options.from), { ...options.set, status: to, status_reason: reason })
  if (!row) return null
  await emit.event(taskId, { type: 'task.status', data: statusData(row, previous, options.asked) })
  return row
}

/**
 * A new reason for a task that stays `queued` (what it waits for), with its task.status event (queued → queued);
 * nothing when the task has left `queued` meanwhile.
 */
export async function noteQueuedReason(trx: Db, emit: Emitter, taskId: number, reason: string | null): Promise<void> {
  const row = await setQueuedReason(trx, taskId, reason)
  if (row) await emit.event(taskId, { type: 'task.status', data: statusData({ ...row, status: 'queued', status_reason: reason }, 'queued') })
}
