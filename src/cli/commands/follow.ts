import { noMorePositionals, parseCommand, taskIdOf } from '../args.js'
import type { Command } from '../context.js'
import { UsageError } from '../exit-codes.js'
import { followOnScreen } from '../follow-view.js'

const usage = `topup follow <task id> [--after <seq>]
  the task's events from the start (or after seq), then live, until it stops; reconnects by itself.
  exit 0 success, 1 failed or cancelled, 2 paused for review, 3 paused for another reason`

export const follow: Command = {
  usage,
  async run(ctx, args) {
    const { values, positionals } = parseCommand(args, { after: { type: 'string' } }, usage)
    const id = taskIdOf(positionals[0], usage)
    noMorePositionals(positionals, 1, usage)
    const after = Number(values.after ?? 0)
    if (!Number.isSafeInteger(after) || after < 0) throw new UsageError(`--after ${values.after}: expected a seq (0 or more)`, usage)
    return followOnScreen(ctx, id, { after })
  },
}
