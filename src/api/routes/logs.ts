import { findVisibleTask, isAdmin } from '../../auth/access.js'
import { principalOf } from '../../auth/plugin.js'
import { listLogs, listTaskLogs } from '../../db/log-repository.js'
import { gatedNote, gatedPage } from '../live/history-gate.js'
import { toLog } from '../mappers.js'
import type { RouteModule } from '../route-module.js'
import { IdParams, problems } from '../schemas/common.js'
import { LogPageSchema, LogQuery, TaskLogPageSchema, TaskLogQuery } from '../schemas/records.js'

export const logRoutes: RouteModule = async (app, deps) => {
  app.get('/tasks/:id/logs', {
    schema: {
      tags: ['logs'], summary: 'A task\'s log lines', operationId: 'listTaskLogs',
      description: 'Oldest first. `level` keeps that level and more severe ones (debug < info < warning < error); '
        + '`after` is a cursor: only lines with a larger seq (pass the `next_after` of the previous page). '
        + gatedNote,
      params: IdParams, querystring: TaskLogQuery,
      response: { 200: TaskLogPageSchema, ...problems('not_found', 'service_unavailable') },
    },
  }, async (request, reply) => {
    const task = await findVisibleTask(deps.db, principalOf(request), request.params.id)
    const q = request.query
    const { rows, total } = await gatedPage(deps.historyReads, reply, () => listTaskLogs(deps.db, {
      taskId: task.id, level: q.level, after: q.after, limit: q.limit, offset: q.offset,
    }))
    return {
      items: rows.map(toLog), total, limit: q.limit, offset: q.offset,
      next_after: rows.at(-1)?.seq ?? q.after ?? 0,
    }
  })

  app.get('/logs', {
    schema: {
      tags: ['logs'], summary: 'Log lines across tasks', operationId: 'listLogs',
      description: 'Newest first, from the caller\'s tasks (admins: all tasks). `level` keeps that level and more '
        + `severe ones. ${gatedNote}`,
      querystring: LogQuery,
      response: { 200: LogPageSchema, ...problems('not_found', 'service_unavailable') },
    },
  }, async (request, reply) => {
    const principal = principalOf(request)
    const q = request.query
    if (q.task_id !== undefined) await findVisibleTask(deps.db, principal, q.task_id)
    const { rows, total } = await gatedPage(deps.historyReads, reply, () => listLogs(deps.db, {
      taskId: q.task_id, userId: isAdmin(principal) ? undefined : principal.userId,
      level: q.level, limit: q.limit, offset: q.offset,
    }))
    return { items: rows.map(toLog), total, limit: q.limit, offset: q.offset }
  })
}
