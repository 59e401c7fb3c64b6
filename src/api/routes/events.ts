import { findVisibleTask } from '../../auth/access.js'
import { principalOf } from '../../auth/plugin.js'
import { gatedNote, gatedPage } from '../live/history-gate.js'
import type { RouteModule } from '../route-module.js'
import { IdParams, problems } from '../schemas/common.js'
import { EventsPageSchema, EventsQuerySchema } from '../schemas/events.js'

export const eventRoutes: RouteModule = async (app, deps) => {
  app.get('/tasks/:id/events', {
    schema: {
      tags: ['tasks'], summary: 'A task\'s events (the WebSocket\'s REST fallback)', operationId: 'listTaskEvents',
      description: 'Every event of the task with a seq above `after`, oldest first: status changes, step '
        + 'start/finish/retry, progress, outputs and log lines, numbered by one per-task `seq`. Pass the '
        + '`next_after` of a page as `after` to get the next one; an empty page means you are up to date. '
        + `Live pushes of the same events: WebSocket /api/ws. ${gatedNote}`,
      params: IdParams, querystring: EventsQuerySchema,
      response: { 200: EventsPageSchema, ...problems('not_found', 'service_unavailable') },
    },
  }, async (request, reply) => {
    const task = await findVisibleTask(deps.db, principalOf(request), request.params.id)
    const { after, limit } = request.query
    const items = await gatedPage(deps.historyReads, reply, () => deps.events.read(task.id, after, limit))
    return { items, next_after: items.at(-1)?.seq ?? after }
  })
}
