import { listScheduleRuns } from '../../db/schedule-repository.js'
import type { ScheduleRunRow } from '../../db/tables.js'
import { AppError } from '../../errors.js'
import type { Schedule } from '../../schedules/schedule-file.js'
import type { RouteModule } from '../route-module.js'
import { problems } from '../schemas/common.js'
import { ScheduleListSchema, ScheduleParams, ScheduleRunPageSchema, ScheduleRunsQuery } from '../schemas/schedules.js'

const NEXT_RUNS = 5
const RECENT_RUNS = 10

const toRun = (row: ScheduleRunRow) =>
  ({ fire_time: row.fire_time, outcome: row.outcome, task_id: row.task_id, message: row.message, created_at: row.created_at })

export const scheduleRoutes: RouteModule = async (app, deps) => {
  const scheduler = deps.scheduler
  const schedules = scheduler?.schedules ?? []
  const find = (name: string): Schedule => {
    const schedule = schedules.find((s) => s.name === name)
    if (!schedule) throw new AppError('not_found', `schedule "${name}" not found: GET /api/schedules lists them (SCHEDULES_FILE)`)
    return schedule
  }

  app.get('/schedules', {
    schema: {
      tags: ['schedules'], summary: 'List the schedules', operationId: 'listSchedules',
      description: 'The schedules of SCHEDULES_FILE, each with its next firing times and its latest firings (the task '
        + 'each made, or why it skipped or failed). Every signed-in user may read them; the tasks follow the usual rules.',
      response: { 200: ScheduleListSchema },
    },
  }, async () => ({
    items: await Promise.all(schedules.map(async ({ times: _, ...schedule }) => ({
      ...schedule,
      next_runs: scheduler!.nextRuns(schedule.name, NEXT_RUNS).map((d) => d.toISOString()),
      recent_runs: (await listScheduleRuns(deps.db, schedule.name, { limit: RECENT_RUNS, offset: 0 })).rows.map(toRun),
    }))),
  }))

  app.get('/schedules/:name/runs', {
    schema: {
      tags: ['schedules'], summary: 'A schedule\'s firings', operationId: 'listScheduleRuns',
      description: 'Every firing of the schedule, newest first: created (with its task), skipped (its day already done '
        + 'or under way) or failed (with the reason).',
      params: ScheduleParams, querystring: ScheduleRunsQuery,
      response: { 200: ScheduleRunPageSchema, ...problems('not_found') },
    },
  }, async (request) => {
    const { limit, offset } = request.query
    const { rows, total } = await listScheduleRuns(deps.db, find(request.params.name).name, { limit, offset })
    return { items: rows.map(toRun), total, limit, offset }
  })
}
