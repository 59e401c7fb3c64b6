import { isAdmin } from '../../auth/access.js'
import { principalOf } from '../../auth/plugin.js'
import { listActions } from '../../db/audit-repository.js'
import { AppError } from '../../errors.js'
import { isoBound } from '../iso-bound.js'
import { toAction } from '../mappers.js'
import type { RouteModule } from '../route-module.js'
import { AuditPageSchema, AuditQuery } from '../schemas/audit.js'
import { problems } from '../schemas/common.js'

/** GET /api/audit: who did what, across every task (admins only). */
export const auditRoutes: RouteModule = async (app, deps) => {
  app.get('/audit', {
    schema: {
      tags: ['audit'], summary: 'Who did what (admins)', operationId: 'listAudit',
      description: 'Every lifecycle action (create, start, pause, resume with the parameters it changed and the step '
        + 'it retries from, cancel), newest first, with who asked for it: the user and the role they acted in, or '
        + 'schedule:<name>. Filters: `actor` (who acted), `user_id` (whose task), `task_id`, `action`, and the time '
        + '(`since` inclusive, `until` exclusive). Transitions the engine makes by itself are not actions. Admins only '
        + '(403 otherwise); a user sees the actions on their own tasks in the task detail.',
      querystring: AuditQuery,
      response: { 200: AuditPageSchema, ...problems('forbidden') },
    },
  }, async (request) => {
    if (!isAdmin(principalOf(request))) {
      throw new AppError('forbidden', 'the audit log is for admins; the actions on your own task are in GET /api/tasks/{id}')
    }
    const q = request.query
    const { rows, total } = await listActions(deps.db, {
      actor: q.actor, userId: q.user_id, taskId: q.task_id, action: q.action,
      since: isoBound(q.since, 'since'), until: isoBound(q.until, 'until'),
    }, { limit: q.limit, offset: q.offset })
    return { items: rows.map(toAction), total, limit: q.limit, offset: q.offset }
  })
}
