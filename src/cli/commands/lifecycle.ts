import { assignmentsOf, noMorePositionals, parseCommand, taskIdOf } from '../args.js'
import type { Task } from '../api-types.js'
import type { Command } from '../context.js'
import { ExitCode, UsageError } from '../exit-codes.js'
import { followOnScreen } from '../follow-view.js'
import { statusWord } from '../messages.js'
import { parametersFor } from '../parameters.js'

const usages = {
  pause: `topup pause <task id> [--follow]
  the running command finishes first (pausing), then the task is paused`,
  resume: `topup resume <task id> [-p name=value]... [--from-step <step id>] [--follow]
  queues a paused task again: -p changes parameters (typed as for run), --from-step goes back to a step`,
  cancel: `topup cancel <task id> [--follow]
  stops the running step and removes the task's cluster jobs`,
} as const

/** pause, resume and cancel: POST /api/tasks/{id}/<action>; the answer is the task after the transition. */
function lifecycle(action: keyof typeof usages): Command {
  const usage = usages[action]
  return {
    usage,
    async run(ctx, args) {
      const { values, positionals } = parseCommand(args, {
        param: { type: 'string', short: 'p', multiple: true }, 'from-step': { type: 'string' }, follow: { type: 'boolean' },
      }, usage)
      const id = taskIdOf(positionals[0], usage)
      noMorePositionals(positionals, 1, usage)
      const pairs = assignmentsOf(values.param, usage)
      if (action !== 'resume' && (pairs.length > 0 || values['from-step'])) {
        throw new UsageError('-p and --from-step go with resume only', usage)
      }
      const client = ctx.client()
      let body: Record<string, unknown> | undefined
      if (action === 'resume') {
        const { workflow_name } = await client.request<Task>('GET', `/api/tasks/${id}`)
        const parameters = await parametersFor(client, workflow_name, pairs)
        body = {
          ...(pairs.length > 0 ? { parameters } : {}),
          ...(values['from-step'] ? { retry_from_step: values['from-step'] } : {}),
        }
      }
      const task = await client.request<Task>('POST', `/api/tasks/${id}/${action}`, body)
      if (ctx.out.json) ctx.out.data(task)
      else {
        ctx.out.line(ctx.t('lifecycle.done', {
          id, status: statusWord(ctx.t, task.status), reason: task.status_reason ? ` (${task.status_reason})` : '',
        }))
      }
      return values.follow ? followOnScreen(ctx, id) : ExitCode.ok
    },
  }
}

export const pause = lifecycle('pause')
export const resume = lifecycle('resume')
export const cancel = lifecycle('cancel')
