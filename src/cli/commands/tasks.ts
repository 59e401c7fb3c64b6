import { noMorePositionals, parseCommand } from '../args.js'
import type { TaskPage } from '../api-types.js'
import type { Command } from '../context.js'
import { ExitCode } from '../exit-codes.js'
import { statusWord } from '../messages.js'
import { dateTime, truncate } from '../output.js'

const usage = `topup tasks [--status <status>] [--workflow <name>] [--user <id>] [--limit N]
  your tasks, newest first (admins: everyone's, or --user's)`

export const tasks: Command = {
  usage,
  async run(ctx, args) {
    const { values, positionals } = parseCommand(args, {
      status: { type: 'string' }, workflow: { type: 'string' }, user: { type: 'string' }, limit: { type: 'string' },
    }, usage)
    noMorePositionals(positionals, 0, usage)
    const query = new URLSearchParams()
    if (values.status) query.set('status', values.status)
    if (values.workflow) query.set('workflow_name', values.workflow)
    if (values.user) query.set('user_id', values.user)
    query.set('limit', values.limit ?? '50')
    const page = await ctx.client().request<TaskPage>('GET', `/api/tasks?${query}`)
    const { out, t } = ctx
    if (out.json) {
      out.data(page)
      return ExitCode.ok
    }
    if (page.items.length === 0) {
      out.note(t('tasks.empty'))
      return ExitCode.ok
    }
    out.table(
      [t('col.id'), t('col.status'), t('col.workflow'), t('col.name'), t('col.progress'), t('col.updated'), t('col.reason')],
      page.items.map((task) => [String(task.id), statusWord(t, task.status), task.workflow_name, truncate(task.task_name, 40),
        `${task.progress_percentage.toFixed(0)}%`, dateTime(task.updated_at), task.status_reason ?? task.error_message ?? '']),
    )
    if (page.total > page.items.length) out.note(t('tasks.count', { shown: page.items.length, total: page.total }))
    return ExitCode.ok
  },
}
