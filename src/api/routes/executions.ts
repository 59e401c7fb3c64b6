import { findVisibleTask } from '../../auth/access.js'
import { principalOf } from '../../auth/plugin.js'
import { findExecution } from '../../db/execution-repository.js'
import { listOutputsPage } from '../../db/output-repository.js'
import { AppError } from '../../errors.js'
import { toOutput } from '../mappers.js'
import type { RouteModule } from '../route-module.js'
import { IdParams, problems } from '../schemas/common.js'
import { ListQuery, OutputListSchema } from '../schemas/records.js'

export const executionRoutes: RouteModule = async (app, deps) => {
  app.get('/executions/:id/outputs', {
    schema: {
      tags: ['executions'], summary: 'Outputs of a step execution',
      description: 'Values a step captured (e.g. cluster ids, run numbers) and files it kept.',
      params: IdParams, querystring: ListQuery,
      response: { 200: OutputListSchema, ...problems(400, 401, 404) },
    },
  }, async (request) => {
    const execution = await findExecution(deps.db, request.params.id)
    if (!execution) throw new AppError('not_found', `execution ${request.params.id} not found`)
    try {
      await findVisibleTask(deps.db, principalOf(request), execution.task_id)
    } catch (error) {
      if (error instanceof AppError && error.code === 'not_found') {
        throw new AppError('not_found', `execution ${request.params.id} not found`)
      }
      throw error
    }
    const { limit, offset } = request.query
    const { rows, total } = await listOutputsPage(deps.db, execution.id, { limit, offset })
    return { items: rows.map(toOutput), total, limit, offset }
  })
}
