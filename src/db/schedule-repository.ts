import type { ScheduleOutcome } from '../domain.js'
import type { Db } from './connect.js'
import type { ScheduleRunRow, TaskRow } from './tables.js'

export interface NewScheduleRun {
  schedule: string
  fire_time: string
  outcome: ScheduleOutcome
  task_id?: number | null
  message?: string | null
}

/** Records a firing; false when that firing was recorded already (the UNIQUE pair), so nothing is done twice. */
export async function recordScheduleRun(db: Db, run: NewScheduleRun): Promise<boolean> {
  const result = await db.insertInto('schedule_runs').values(run)
    .onConflict((oc) => oc.columns(['schedule', 'fire_time']).doNothing()).executeTakeFirst()
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0
}

export async function findScheduleRun(db: Db, schedule: string, fireTime: string): Promise<ScheduleRunRow | undefined> {
  return db.selectFrom('schedule_runs').selectAll().where('schedule', '=', schedule).where('fire_time', '=', fireTime).executeTakeFirst()
}

/** The latest firing recorded for a schedule (ISO time), or null when it never fired. */
export async function lastFireTime(db: Db, schedule: string): Promise<string | null> {
  const row = await db.selectFrom('schedule_runs').select((eb) => eb.fn.max('fire_time').as('last'))
    .where('schedule', '=', schedule).executeTakeFirst()
  return row?.last ?? null
}

/** A schedule's firings, newest first. */
export async function listScheduleRuns(
  db: Db, schedule: string, page: { limit: number; offset: number },
): Promise<{ rows: ScheduleRunRow[]; total: number }> {
  const base = db.selectFrom('schedule_runs').where('schedule', '=', schedule)
  const [rows, count] = await Promise.all([
    base.selectAll().orderBy('fire_time', 'desc').limit(page.limit).offset(page.offset).execute(),
    base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ])
  return { rows, total: Number(count.n) }
}

/** The newest task of a workflow for a day whose status is not one of `except`, if any. */
export function dayTask(
  db: Db, of: { workflowName: string; dateParam: string }, except: readonly TaskRow['status'][],
): Promise<Pick<TaskRow, 'id' | 'status'> | undefined> {
  return db.selectFrom('tasks').select(['id', 'status'])
    .where('workflow_name', '=', of.workflowName).where('date_param', '=', of.dateParam)
    .where('status', 'not in', except).orderBy('id', 'desc').limit(1).executeTakeFirst()
}
