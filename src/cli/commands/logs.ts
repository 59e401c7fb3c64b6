import type { LogLevel } from '../../domain.js'
import { noMorePositionals, parseCommand, taskIdOf } from '../args.js'
import type { TaskLogPage } from '../api-types.js'
import type { Command } from '../context.js'
import { formatLog } from '../event-format.js'
import { ExitCode } from '../exit-codes.js'
import { followOnScreen } from '../follow-view.js'

const usage = `topup logs <task id> [--level debug|info|warning|error] [--follow]
  the task's log lines, oldest first (--level: that level and more severe);
  --follow: then the live ones until the task stops, exiting as topup follow does`

/** As src/domain.ts orders them, least severe first (not imported: domain.ts loads the schema library). */
const levels = ['debug', 'info', 'warning', 'error'] as const satisfies readonly LogLevel[]

export const logs: Command = {
  usage,
  async run(ctx, args) {
    const { values, positionals } = parseCommand(args, { level: { type: 'string' }, follow: { type: 'boolean' } }, usage)
    const id = taskIdOf(positionals[0], usage)
    noMorePositionals(positionals, 1, usage)
    const client = ctx.client()
    const { out } = ctx
    let after = 0
    // Pages by the seq cursor: lines written meanwhile come after, never twice.
    for (;;) {
      const query = new URLSearchParams({ limit: '1000', after: String(after), ...(values.level ? { level: values.level } : {}) })
      const page = await client.request<TaskLogPage>('GET', `/api/tasks/${id}/logs?${query}`)
      for (const log of page.items) {
        if (out.json) out.data(log)
        else out.line(formatLog(out, { seq: log.seq, at: log.timestamp, level: log.level, source: log.source, message: log.message }))
      }
      after = page.next_after
      if (page.items.length < page.limit) break
    }
    if (!values.follow) return ExitCode.ok
    // The level was checked by the server above; the live lines are filtered here.
    const least = levels.indexOf((values.level ?? 'debug') as LogLevel)
    return followOnScreen(ctx, id, {
      after, show: (event) => event.type === 'log' && levels.indexOf(event.data.level) >= least,
    })
  },
}
