import type { Db } from '../db/connect.js'
import { REVIEW_REASON } from '../engine/step-decision.js'

/** What a scrape reads of the database: a few GROUP BYs over indexed columns of small tables. */

export function taskCounts(db: Db) {
  return db.selectFrom('tasks').select(['workflow_name', 'status', (eb) => eb.fn.countAll<number>().as('count')])
    .groupBy(['workflow_name', 'status']).execute()
}

/** Per workflow, the tasks paused at a review point and the oldest of their pauses (updated_at, an ISO time). */
export function reviewWaits(db: Db) {
  return db.selectFrom('tasks')
    .select(['workflow_name', (eb) => eb.fn.countAll<number>().as('count'), (eb) => eb.fn.min('updated_at').as('since')])
    .where('status', '=', 'paused').where('status_reason', 'like', `${REVIEW_REASON}%`)
    .groupBy('workflow_name').execute()
}

/** The jobs the batch systems still hold (the partial index of unfinished jobs: finished ones are never scanned). */
export function activeJobCounts(db: Db) {
  return db.selectFrom('remote_jobs').select(['host', 'system', 'state', (eb) => eb.fn.countAll<number>().as('count')])
    .where('finished_at', 'is', null).groupBy(['host', 'system', 'state']).execute()
}

/** A finished task's workflow and times. */
export function taskTimes(db: Db, taskId: number) {
  return db.selectFrom('tasks').select(['workflow_name', 'started_at', 'completed_at'])
    .where('id', '=', taskId).executeTakeFirst()
}

/** A step attempt's name, its duration (when it ended) and its task's workflow. */
export function attemptOf(db: Db, executionId: number) {
  return db.selectFrom('task_executions').innerJoin('tasks', 'tasks.id', 'task_executions.task_id')
    .select(['task_executions.step_name', 'task_executions.duration_seconds', 'tasks.workflow_name'])
    .where('task_executions.id', '=', executionId).executeTakeFirst()
}

export function workflowOfTask(db: Db, taskId: number) {
  return db.selectFrom('tasks').select('workflow_name').where('id', '=', taskId).executeTakeFirst()
}
