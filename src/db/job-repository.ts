import type { Db } from './connect.js'
import type { JobRow, NewJob } from './tables.js'
import { isFinishedJob, type BatchSystem, type JobState } from '../domain.js'
import { reusableQuery } from './reusable-query.js'

/** remote_jobs: the cluster jobs of tasks, one row per job id. */

/** Records jobs; an id already recorded for the task is left as it is. Returns the rows that are new. */
export async function insertJobs(trx: Db, rows: NewJob[]): Promise<JobRow[]> {
  if (rows.length === 0) return []
  return trx.insertInto('remote_jobs').values(rows)
    .onConflict((oc) => oc.columns(['task_id', 'host', 'system', 'job_id']).doNothing())
    .returningAll().execute()
}

/** Every job not yet in a final state, of every task (the poller's work list after a start). */
export function unfinishedJobs(db: Db): Promise<JobRow[]> {
  return db.selectFrom('remote_jobs').selectAll().where('finished_at', 'is', null).orderBy('id').execute()
}

export function unfinishedJobsOfTask(db: Db, taskId: number): Promise<JobRow[]> {
  return db.selectFrom('remote_jobs').selectAll().where('task_id', '=', taskId).where('finished_at', 'is', null)
    .orderBy('id').execute()
}

/** The jobs of a task's step, from its latest attempt that recorded any (a re-run submits new ones). */
export async function jobsOfStep(db: Db, taskId: number, stepName: string): Promise<JobRow[]> {
  const latest = await db.selectFrom('remote_jobs').select((eb) => eb.fn.max('execution_id').as('execution_id'))
    .where('task_id', '=', taskId).where('step_name', '=', stepName).executeTakeFirst()
  if (latest?.execution_id === null || latest?.execution_id === undefined) return []
  return db.selectFrom('remote_jobs').selectAll().where('execution_id', '=', latest.execution_id).orderBy('id').execute()
}

export interface JobFilter { taskId: number; state?: JobState; stepName?: string }

/** One page of a task's jobs in the order they were recorded, and how many match in all. */
export async function listJobsPage(db: Db, filter: JobFilter, page: { limit: number; offset: number }):
  Promise<{ rows: JobRow[]; total: number }> {
  let query = db.selectFrom('remote_jobs').where('task_id', '=', filter.taskId)
  if (filter.state !== undefined) query = query.where('state', '=', filter.state)
  if (filter.stepName !== undefined) query = query.where('step_name', '=', filter.stepName)
  const rows = await query.selectAll().orderBy('id').limit(page.limit).offset(page.offset).execute()
  const { total } = await query.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow()
  return { rows, total: Number(total) }
}

/** How many of the task's jobs are in each state (states without jobs are absent). */
export async function countJobsByState(db: Db, taskId: number): Promise<Partial<Record<JobState, number>>> {
  const rows = await jobsByState(db, taskId)
  return Object.fromEntries(rows.map((row) => [row.state, Number(row.n)]))
}
const jobsByState = reusableQuery((db: Db, taskId: number) => db.selectFrom('remote_jobs')
  .select(['state', (eb) => eb.fn.countAll<number>().as('n')]).where('task_id', '=', taskId).groupBy('state'))

export interface JobChange {
  state: JobState
  reason: string | null
  exitCode: number | null
  signal: number | null
}

/** A new state of a job, with when it began; a final state also sets finished_at. */
export async function setJobState(trx: Db, id: number, change: JobChange, at: string): Promise<JobRow> {
  return trx.updateTable('remote_jobs').set({
    state: change.state, reason: change.reason, exit_code: change.exitCode, signal: change.signal,
    state_since: at, last_seen_at: at, finished_at: isFinishedJob(change.state) ? at : null,
  }).where('id', '=', id).returningAll().executeTakeFirstOrThrow()
}

/** The poller saw these jobs, unchanged. */
export async function touchJobs(db: Db, ids: number[], at: string): Promise<void> {
  for (let i = 0; i < ids.length; i += 500) {
    await db.updateTable('remote_jobs').set({ last_seen_at: at }).where('id', 'in', ids.slice(i, i + 500)).execute()
  }
}

export async function markHoldRequested(db: Db, ids: number[], requested: boolean): Promise<void> {
  if (ids.length === 0) return
  await db.updateTable('remote_jobs').set({ hold_requested: requested ? 1 : 0 }).where('id', 'in', ids).execute()
}

/** A group of jobs that one poller watches: one host, one batch system, one tool folder. */
export interface JobGroupKey { host: string; system: BatchSystem; tools: string }

export const jobGroupName = (key: JobGroupKey) => `${key.host}\u0000${key.system}\u0000${key.tools}`
