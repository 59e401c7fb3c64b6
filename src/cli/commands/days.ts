import { DAY_WORKFLOW } from '../../days/site-folders.js'
import { noMorePositionals, parseCommand } from '../args.js'
import type { DayList, WorkflowDetail } from '../api-types.js'
import type { Command } from '../context.js'
import { CliError, ExitCode } from '../exit-codes.js'
import { statusWord } from '../messages.js'
import { dateTime } from '../output.js'

const usage = `topup days [--round roundNN] [--refresh]
  every day with raw data on the site, whether it is processed, its latest task and the next day to process;
  the round defaults to the standard workflow's; --refresh lists the site again now`

export const days: Command = {
  usage,
  async run(ctx, args) {
    const { values, positionals } = parseCommand(args, { round: { type: 'string' }, refresh: { type: 'boolean' } }, usage)
    noMorePositionals(positionals, 0, usage)
    const client = ctx.client()
    const { out, t } = ctx
    let round = values.round
    if (!round) {
      const workflow = await client.request<WorkflowDetail>('GET', `/api/workflows/${DAY_WORKFLOW}`)
      const fallback = workflow.parameters.round?.default
      if (typeof fallback !== 'string') throw new CliError(t('error.noRound', { workflow: DAY_WORKFLOW }))
      round = fallback
    }
    const query = new URLSearchParams({ round, ...(values.refresh ? { refresh: 'true' } : {}) })
    const list = await client.request<DayList>('GET', `/api/days?${query}`)
    if (out.json) {
      out.data(list)
      return ExitCode.ok
    }
    out.line(t('days.head', {
      round: list.round, host: list.host, total: list.total, processed: list.processed_count ?? t('days.unknown'),
      next: list.next_day ?? t('days.none'), cached: list.cached ? t('days.cached', { when: dateTime(list.listed_at) }) : '',
    }))
    if (list.warning) out.note(out.paint('yellow', list.warning))
    out.table([t('col.day'), t('col.processed'), t('col.next'), t('col.task')], list.days.map((day) => [
      day.day,
      day.processed === null ? t('days.unknown') : day.processed ? t('yes') : t('no'),
      day.next ? '→' : '',
      day.task ? `#${day.task.id} ${statusWord(t, day.task.status)}${day.task.status_reason ? ` (${day.task.status_reason})` : ''}`
        + ` ${day.task.progress_percentage.toFixed(0)}%` : '',
    ]))
    return ExitCode.ok
  },
}
