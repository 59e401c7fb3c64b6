import { listActiveWorkflowNames } from '../../db/workflow-repository.js'
import { AppError } from '../../errors.js'
import { resolveParameters } from '../../workflows/parameters.js'
import { toWorkflowDetail, toWorkflowSummary } from '../mappers.js'
import type { RouteModule } from '../route-module.js'
import { problems } from '../schemas/common.js'
import { ListQuery } from '../schemas/records.js'
import {
  ValidateBody, ValidateResultSchema, WorkflowDetailSchema, WorkflowListSchema, WorkflowNameParams,
} from '../schemas/workflows.js'

export const workflowRoutes: RouteModule = async (app, deps) => {
  const find = (name: string) => {
    const entry = deps.workflows.get(name)
    if (!entry) throw new AppError('not_found', `workflow "${name}" not found`)
    return entry
  }

  app.get('/workflows', {
    schema: {
      tags: ['workflows'], summary: 'List workflows', operationId: 'listWorkflows',
      description: 'The active version of every workflow file; `runnable: false` names the step types not implemented yet.',
      querystring: ListQuery,
      response: { 200: WorkflowListSchema },
    },
  }, async (request) => {
    const { limit, offset } = request.query
    const { names, total } = await listActiveWorkflowNames(deps.db, { limit, offset })
    // The active rows are what this process synced at start, so each has its (parsed) catalog entry.
    const items = names.flatMap((name) => deps.workflows.get(name) ?? [])
    return { items: items.map(toWorkflowSummary), total, limit, offset }
  })

  app.get('/workflows/:workflow_name', {
    schema: {
      tags: ['workflows'], summary: 'Get a workflow', operationId: 'getWorkflow', params: WorkflowNameParams,
      description: 'Parameters (with their rules and defaults), site variables and steps.',
      response: { 200: WorkflowDetailSchema, ...problems('not_found') },
    },
  }, async (request) => toWorkflowDetail(find(request.params.workflow_name)))

  app.post('/workflows/:workflow_name/validate', {
    schema: {
      tags: ['workflows'], summary: 'Check parameters for a workflow', operationId: 'validateParameters',
      params: WorkflowNameParams, body: ValidateBody,
      description: 'Answers 200 either way: `valid`, the errors by parameter, and the resolved values with defaults.',
      response: { 200: ValidateResultSchema, ...problems('not_found') },
    },
  }, async (request) => {
    const result = resolveParameters(find(request.params.workflow_name).definition.parameters, request.body.parameters ?? {})
    return result.ok
      ? { valid: true, errors: [], parameters: result.values }
      : { valid: false, errors: result.errors, parameters: {} }
  })
}
