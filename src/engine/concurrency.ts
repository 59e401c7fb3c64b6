import type { SchedulingRow } from '../db/task-repository.js'
import type { TaskStatus } from '../domain.js'

/**
 * The workflow `concurrency` rule: at most `limit` tasks with the same key have started and not ended. A task
 * holds its key from its first claim until it ends — across a review pause, and while it is queued again after a
 * resume or a restart (started_at is kept) — so a task of the key that has never started cannot slip in
 * between two stages of another one. Among tasks that have started, only the ones ahead in the queue count
 * against a queued one, so two of them queued again together (a limit lowered meanwhile) never wait for each
 * other. A waiting task does not hold up tasks of other keys or without one: the scheduler looks past it.
 */

/** A task in one of these has started and not ended (besides one queued again). */
export const holdingStatuses = ['running', 'pausing', 'paused', 'cancelling'] as const satisfies readonly TaskStatus[]
const isHolding = (status: TaskStatus) => (holdingStatuses as readonly TaskStatus[]).includes(status)

/** The tasks that keep `task` queued now; none when it may run. `tasks`: the scheduler's view, in queue order. */
export function blockersOf(task: SchedulingRow, tasks: readonly SchedulingRow[]): SchedulingRow[] {
  if (task.concurrency_key === null) return []
  const index = tasks.indexOf(task)
  const holders = tasks.filter((other, i) => other.id !== task.id && other.concurrency_key === task.concurrency_key && (
    isHolding(other.status)
    || (other.status === 'queued' && other.started_at !== null && (task.started_at === null || i < index))))
  return holders.length >= (task.concurrency_limit ?? 1) ? holders : []
}

/** What a blocker is doing, as the waiting task's reason says it. */
const doing: Partial<Record<TaskStatus, string>> = {
  running: 'running', pausing: 'pausing', paused: 'paused for review', cancelling: 'being cancelled',
  queued: 'queued to go on',
}

const WAITING = 'waiting for task'

/** "waiting for task 12 of round-round18, paused for review"; several blockers are named each with its state. */
export function waitReason(task: SchedulingRow, blockers: readonly SchedulingRow[]): string {
  const [only] = blockers
  if (only && blockers.length === 1) return `${WAITING} ${only.id} of ${task.concurrency_key}, ${doing[only.status]}`
  const each = blockers.map((b) => `${b.id} (${doing[b.status]})`)
  return `${WAITING}s ${each.slice(0, -1).join(', ')} and ${each.at(-1)} of ${task.concurrency_key}, `
    + `at most ${task.concurrency_limit} at a time`
}

/** Whether a queued task's reason is one waitReason wrote (so it is cleared once the task no longer waits). */
export const isWaitReason = (reason: string | null) => reason?.startsWith(WAITING) === true
