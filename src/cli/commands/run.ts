import { assignmentsOf, noMorePositionals, parseCommand } from '../args.js'
import type { TaskDetail } from '../api-types.js'
import type { Command } from '../context.js'
import { ExitCode, UsageError } from '../exit-codes.js'
import { followOnScreen } from '../follow-view.js'
import { statusWord } from '../messages.js'
import { parametersFor } from '../parameters.js'

const usage = `topup run <workflow> [-p name=value]... [--name <task name>] [--follow]
  creates a task of the workflow and starts it; values are typed by the workflow's parameters
  (-p runs=4 a number, -p submit_job=false a boolean); --follow: then as topup follow`

export const run: Command = {
  usage,
  async run(ctx, args) {
    const { values, positionals } = parseCommand(args, {
      param: { type: 'string', short: 'p', multiple: true }, name: { type: 'string' }, follow: { type: 'boolean' },
    }, usage)
    const workflow = positionals[0]
    if (!workflow) throw new UsageError('a workflow name is required', usage)
    noMorePositionals(positionals, 1, usage)
    const client = ctx.client()
    const parameters = await parametersFor(client, workflow, assignmentsOf(values.param, usage))
    const task = await client.request<TaskDetail>('POST', '/api/tasks', {
      workflow_name: workflow, parameters, start: true, ...(values.name ? { task_name: values.name } : {}),
    })
    if (ctx.out.json) ctx.out.data(task)
    else ctx.out.line(ctx.t('run.created', { id: task.id, name: task.task_name, status: statusWord(ctx.t, task.status) }))
    return values.follow ? followOnScreen(ctx, task.id) : ExitCode.ok
  },
}
