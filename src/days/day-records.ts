import type { Db } from '../db/connect.js'
import { dayTasksOfRound } from '../db/task-repository.js'
import type { TaskStatus } from '../domain.js'
import { REVIEW_REASON } from '../engine/step-decision.js'
import type { TaskSnapshots } from '../engine/task-snapshots.js'

/** The service's own record of a day: its latest task of the day's workflow and round. */
export interface DayTask {
  id: number
  user_id: string
  status: TaskStatus
  status_reason: string | null
  current_step: string | null
  /** The current step's display name in the task's own workflow ("1.4 Download merged PDF"). */
  current_step_name: string | null
  progress_percentage: number
  /** Paused at a review point, waiting for a person. */
  review_pending: boolean
  /** How many tasks of the day there are, this one included. */
  task_count: number
  created_at: string
  updated_at: string
}

/**
 * The latest task (newest created; id breaks ties) of `workflow` and `round` for each of `days`. The pause
 * reason of a review point starts with REVIEW_REASON (it may go on to say what to look at).
 */
export async function latestTasksByDay(db: Db, snapshots: Pick<TaskSnapshots, 'of'>, workflow: string, round: string, days: readonly string[]):
  Promise<Map<string, DayTask>> {
  const wanted = new Set(days)
  const rows = await dayTasksOfRound(db, workflow, round)
  const latest = new Map<string, DayTask>()
  for (const { date_param: day, ...row } of rows) {
    if (day === null || !wanted.has(day)) continue
    const seen = latest.get(day)
    if (seen) {
      seen.task_count++
      continue
    }
    latest.set(day, {
      ...row, current_step_name: null, task_count: 1,
      review_pending: row.status === 'paused' && (row.status_reason ?? '').startsWith(REVIEW_REASON),
    })
  }
  await nameCurrentSteps(snapshots, [...latest.values()])
  return latest
}

async function nameCurrentSteps(snapshots: Pick<TaskSnapshots, 'of'>, tasks: DayTask[]): Promise<void> {
  const withStep = tasks.filter((task) => task.current_step !== null)
  if (withStep.length === 0) return
  const definitions = await snapshots.of(withStep.map((task) => task.id))
  for (const task of withStep) {
    task.current_step_name = definitions.get(task.id)?.steps.find((step) => step.id === task.current_step)?.display_name ?? null
  }
}
