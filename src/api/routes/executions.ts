import { findVisible } from '../../auth/access.js'
import { principalOf } from '../../auth/plugin.js'
import { findExecution } from '../../db/execution-repository.js'
import { listOutputsPage } from '../../db/output-repository.js'
import { toOutput } from '../mappers.js'
import type { RouteModule } from '../route-module.js'
import { IdParams, problems } from '../schemas/common.js'
import { ListQuery, OutputListSchema } from '../schemas/records.js'

export const executionRoutes: RouteModule = async (app, deps) => {
  app.get('/executions/:id/outputs', {
    schema: {
      tags: ['executions'], summary: 'Outputs of a step execution', operationId: 'listExecutionOutputs',
      description: 'Values a step captured (e.g. cluster ids, run numbers) and files it kept.',
      params: IdParams, querystring: ListQuery,
      response: { 200: OutputListSchema, ...problems('not_found') },
    },
  }, async (request) => {
    const execution = await findVisible(deps.db, principalOf(request), 'execution', request.params.id, findExecution)
    const { limit, offset } = request.query
    const { rows, total } = await listOutputsPage(deps.db, execution.id, { limit, offset })
    return { items: rows.map(toOutput), total, limit, offset }
  })
}
