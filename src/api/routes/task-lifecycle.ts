import { actorOf, findVisibleTask } from '../../auth/access.js'
import { principalOf } from '../../auth/plugin.js'
import type { TaskControl } from '../../engine/interfaces.js'
import { transitions } from '../../engine/task-state.js'
import { AppError } from '../../errors.js'
import { toTask } from '../mappers.js'
import type { RouteModule } from '../route-module.js'
import { IdParams, problems } from '../schemas/common.js'
import { EmptyBody, ResumeBody } from '../schemas/task-lifecycle.js'
import { TaskSchema } from '../schemas/tasks.js'

const transitionsText = `Transitions: ${Object.entries(transitions).filter(([, to]) => to.length > 0)
  .map(([from, to]) => `${from} → ${to.join(' | ')}`).join('; ')}. An impossible transition is a 409 problem+json `
  + 'naming the current status (`current_status`).'

// Lifecycle bodies are optional (`curl -X POST …/start` sends none): absent counts as {}. A JSON `null` is not absent.
const bodyOptional = async (request: { body: unknown }) => {
  if (request.body === undefined) request.body = {}
}

/** POST /api/tasks/{id}/start|pause|resume|cancel: each answers with the task after the transition. */
export const taskLifecycleRoutes: RouteModule = async (app, deps) => {
  const engineOf = (): TaskControl => {
    if (!deps.control) throw new AppError('service_unavailable', 'this server has no task engine')
    return deps.control
  }
  const simple = [
    ['start', 'Start a task', 'Queues a pending task; it runs as soon as fewer than MAX_PARALLEL_TASKS tasks run.'],
    ['pause', 'Pause a task', 'A running task becomes `pausing` until its step reaches a safe point, then `paused`. '
      + 'A step that only waits (for files, for cluster jobs) stops waiting at once and continues later.'],
    ['cancel', 'Cancel a task', 'A running task becomes `cancelling`: its step is aborted (on the local host its whole '
      + 'process tree is killed), then `cancelled`. A pending, queued or paused task is cancelled at once.'],
  ] as const
  for (const [action, summary, description] of simple) {
    app.post(`/tasks/:id/${action}`, {
      schema: {
        tags: ['tasks'], summary, operationId: `${action}Task`, description: `${description} ${transitionsText}`,
        params: IdParams, body: EmptyBody, bodyOptional: true,
        response: { 200: TaskSchema, ...problems('not_found', 'invalid_transition', 'service_unavailable') },
      },
      preValidation: bodyOptional,
    }, async (request) => {
      const principal = principalOf(request)
      const task = await findVisibleTask(deps.db, principal, request.params.id)
      return toTask(await engineOf()[action](task.id, actorOf(principal)))
    })
  }

  app.post('/tasks/:id/resume', {
    schema: {
      tags: ['tasks'], summary: 'Resume a paused task', operationId: 'resumeTask',
      description: 'Queues a paused task again. The body is optional: `parameters` (changed values, checked against the '
        + 'task\'s own workflow snapshot, recorded old → new in the task log) and `retry_from_step` (an unknown step id '
        + `is 400 unknown_step); without it the task continues where it paused. The task log records who resumed it `
        + `("resumed by <user>"): after a review pause, that is who approved. ${transitionsText}`,
      params: IdParams,
      body: ResumeBody, bodyOptional: true,
      response: {
        200: TaskSchema,
        ...problems('unknown_step', 'invalid_parameters', 'not_found', 'invalid_transition', 'duplicate_task',
          'workflow_not_runnable', 'service_unavailable'),
      },
    },
    preValidation: bodyOptional,
  }, async (request) => {
    const principal = principalOf(request)
    const task = await findVisibleTask(deps.db, principal, request.params.id)
    return toTask(await engineOf().resume(task.id, request.body, actorOf(principal)))
  })
}
