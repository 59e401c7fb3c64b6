import { findVisibleTask } from '../../auth/access.js'
import { principalOf } from '../../auth/plugin.js'
import { listJobsPage } from '../../db/job-repository.js'
import { toJob } from '../mappers.js'
import type { RouteModule } from '../route-module.js'
import { IdParams, problems } from '../schemas/common.js'
import { JobListQuery, JobPageSchema } from '../schemas/jobs.js'

export const jobRoutes: RouteModule = async (app, deps) => {
  app.get('/tasks/:id/jobs', {
    schema: {
      tags: ['jobs'], summary: 'List a task\'s cluster jobs', operationId: 'listTaskJobs', params: IdParams, querystring: JobListQuery,
      description: 'Every cluster job the task\'s steps submitted, as the batch system last said: state, hold '
        + 'reason, exit code. Filter by `state` or `step_id`.',
      response: { 200: JobPageSchema, ...problems('not_found') },
    },
  }, async (request) => {
    const task = await findVisibleTask(deps.db, principalOf(request), request.params.id)
    const { limit, offset, state, step_id: stepName } = request.query
    const { rows, total } = await listJobsPage(deps.db, { taskId: task.id, state, stepName }, { limit, offset })
    return { items: rows.map(toJob), total, limit, offset }
  })
}
