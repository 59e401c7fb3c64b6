import type { TaskEvent } from '../domain.js'
import type { TaskDetail } from './api-types.js'
import type { Context } from './context.js'
import { formatEvent } from './event-format.js'
import { exitCodeOf, followTask, isReviewPause, reviewNote, type FollowEnd } from './follow.js'
import { statusWord } from './messages.js'
import { LivePanel, TaskProgress } from './progress-panel.js'

export interface FollowView {
  /** Events to show (default: all); the others still advance the follow. */
  show?: (event: TaskEvent) => boolean
  after?: number
}

/**
 * Follows a task on screen until it stops and returns the exit code its end means: on a terminal a progress bar
 * per step stays below the scrolling event lines; elsewhere one line per event; with --json one JSON event per
 * line. The verdict goes to stderr.
 */
export async function followOnScreen(ctx: Context, taskId: number, view: FollowView = {}): Promise<number> {
  const { out } = ctx
  const client = ctx.client()
  const task = await client.request<TaskDetail>('GET', `/api/tasks/${taskId}`)
  const show = view.show ?? (() => true)
  const panel = !out.json && out.tty ? new LivePanel(out, new TaskProgress(task)) : null
  const end = await followTask(client, task, {
    event(event) {
      if (out.json) {
        if (show(event)) out.data(event)
        return
      }
      const line = show(event) ? formatEvent(out, event) : null
      if (panel) panel.event(event, line)
      else if (line !== null) out.line(line)
    },
    reconnecting(reason) {
      const text = ctx.t('follow.reconnecting', { reason })
      if (panel) panel.note(text)
      else out.note(text)
    },
  }, { after: view.after ?? 0 })
  panel?.finish()
  out.note(verdict(ctx, taskId, end))
  return exitCodeOf(end)
}

function verdict(ctx: Context, id: number, end: FollowEnd): string {
  const { t, out } = ctx
  const reason = end.reason ? `: ${end.reason}` : ''
  if (isReviewPause(end)) return out.paint('yellow', t('follow.review', { id, note: reviewNote(end) }))
  switch (end.status) {
    case 'success': return out.paint('green', t('follow.success', { id }))
    case 'paused': return out.paint('yellow', t('follow.paused', { id, reason: end.reason ?? statusWord(t, 'paused') }))
    case 'cancelled': return out.paint('red', t('follow.cancelled', { id, reason }))
    default: return out.paint('red', t('follow.failed', { id, reason }))
  }
}
