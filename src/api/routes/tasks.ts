import { actingUser, actorOf, findVisibleTask, listScope } from '../../auth/access.js'
import { principalOf } from '../../auth/plugin.js'
import type { Principal } from '../../auth/token.js'
import { taskActions } from '../../db/audit-repository.js'
import { listExecutions, listExecutionsPage } from '../../db/execution-repository.js'
import { countJobsByState } from '../../db/job-repository.js'
import { listTaskParameters, listTasks } from '../../db/task-repository.js'
import { createTask } from '../../engine/task-creation.js'
import { AppError } from '../../errors.js'
import { toExecution, toProgress, toStepSummaries, toTask, toTaskDetail } from '../mappers.js'
import type { RouteModule } from '../route-module.js'
import { IdParams, problems } from '../schemas/common.js'
import { ExecutionListSchema, ListQuery } from '../schemas/records.js'
import { CreateTaskBody, ProgressSchema, TaskDetailSchema, TaskListQuery, TaskPageSchema } from '../schemas/tasks.js'
import type { RouteDeps } from '../deps.js'
import { isoBound } from '../iso-bound.js'

async function taskDetail(deps: RouteDeps, principal: Principal, taskId: number) {
  const task = await findVisibleTask(deps.db, principal, taskId)
  return toTaskDetail(task, await deps.snapshots.steps(task.id), await listTaskParameters(deps.db, task.id),
    await listExecutions(deps.db, task.id), await countJobsByState(deps.db, task.id), await taskActions(deps.db, task.id))
}

export const taskRoutes: RouteModule = async (app, deps) => {
  app.post('/tasks', {
    schema: {
      tags: ['tasks'], summary: 'Create a task', operationId: 'createTask',
      description: 'Creates a task of a workflow with checked parameters (defaults filled in and stored). The task keeps '
        + 'the exact workflow definition it was created with. `user_id` defaults to the caller; another user\'s id '
        + 'needs the admin role. With `"start": true` the task is also queued for running. While a task of the same '
        + 'workflow and `date_param` is unfinished (not success, failed or cancelled), another is refused: 409 '
        + '`duplicate_task`, naming it in `other_task_id` and `other_task_status`.',
      body: CreateTaskBody,
      response: { 201: TaskDetailSchema, ...problems('invalid_parameters', 'forbidden', 'not_found', 'workflow_not_runnable', 'duplicate_task', 'service_unavailable') },
    },
  }, async (request, reply) => {
    const principal = principalOf(request)
    const body = request.body
    const userId = actingUser(principal, body.user_id)
    const control = deps.control
    if (body.start && !control) {
      throw new AppError('service_unavailable', 'this server has no task engine: create the task without "start"')
    }
    const task = await createTask({ db: deps.db, workflows: deps.workflows, siteVars: deps.config.siteVars }, {
      workflowName: body.workflow_name, taskName: body.task_name, parameters: body.parameters ?? {},
      userId, actor: actorOf(principal),
    })
    request.log.info({ task_id: task.id, workflow: task.workflow_name, user_id: userId }, 'task created')
    deps.snapshots.remember(task)
    // Engine call point: "start": true hands the new task to the engine (which queues and runs it).
    if (body.start && control) await control.start(task.id, actorOf(principal))
    reply.code(201).header('location', `/api/tasks/${task.id}`)
    return taskDetail(deps, principal, task.id)
  })

  app.get('/tasks', {
    schema: {
      tags: ['tasks'], summary: 'List tasks', operationId: 'listTasks',
      description: 'Newest first. Users see their own tasks (asking for another user_id is 403); admins see all or filter by user_id.',
      querystring: TaskListQuery,
      response: { 200: TaskPageSchema, ...problems('forbidden') },
    },
  }, async (request) => {
    const q = request.query
    const { rows, total } = await listTasks(deps.db, {
      userId: listScope(principalOf(request), q.user_id), status: q.status, workflowName: q.workflow_name, dateParam: q.date_param,
      createdAfter: isoBound(q.created_after, 'created_after'), createdBefore: isoBound(q.created_before, 'created_before'),
    }, { limit: q.limit, offset: q.offset })
    return { items: rows.map(toTask), total, limit: q.limit, offset: q.offset }
  })

  app.get('/tasks/:id', {
    schema: {
      tags: ['tasks'], summary: 'Get a task', operationId: 'getTask',
      description: 'The task, its resolved parameters, one summary per workflow step (latest attempt) and its progress.',
      params: IdParams,
      response: { 200: TaskDetailSchema, ...problems('not_found') },
    },
  }, async (request) => taskDetail(deps, principalOf(request), request.params.id))

  app.get('/tasks/:id/progress', {
    schema: {
      tags: ['tasks'], summary: 'Get a task\'s progress', operationId: 'getTaskProgress', params: IdParams,
      description: 'Status, percentage, current step, step counts and the cluster jobs by state.',
      response: { 200: ProgressSchema, ...problems('not_found') },
    },
  }, async (request) => {
    const task = await findVisibleTask(deps.db, principalOf(request), request.params.id)
    const steps = toStepSummaries(await deps.snapshots.steps(task.id), await listExecutions(deps.db, task.id))
    return toProgress(task, steps, await countJobsByState(deps.db, task.id))
  })

  app.get('/tasks/:id/executions', {
    schema: {
      tags: ['executions'], summary: 'List a task\'s step executions', operationId: 'listTaskExecutions', params: IdParams, querystring: ListQuery,
      description: 'Every attempt of every step, in step order then attempt order.',
      response: { 200: ExecutionListSchema, ...problems('not_found') },
    },
  }, async (request) => {
    const task = await findVisibleTask(deps.db, principalOf(request), request.params.id)
    const { limit, offset } = request.query
    const { rows, total } = await listExecutionsPage(deps.db, task.id, { limit, offset })
    return { items: rows.map(toExecution), total, limit, offset }
  })
}
