import { html } from '../html.js'
import { t } from '../i18n.js'
import { dateTime } from '../format.js'

/** "root (admin)", "alice", "schedule:daily"; the server itself when the action names no one. */
function actorName(actor) {
  if (!actor) return t('who.server')
  return actor.role === 'admin' ? t('who.admin', { user: actor.user_id }) : actor.user_id
}

/** What a resume changed: `note "first" → "second"`, and the step it retried from. */
function resumeDetails(action) {
  const parts = (action.changes ?? []).map((c) => `${c.name} ${JSON.stringify(c.old)} → ${JSON.stringify(c.new)}`)
  if (action.retry_from_step) parts.push(t('who.fromStep', { step: action.retry_from_step }))
  return parts.length > 0 ? ` (${parts.join(', ')})` : ''
}

/** Who created, started, paused, resumed and cancelled the task (the task detail's `actions`), oldest first. */
export function TaskHistory({ actions }) {
  if (!actions?.length) return null
  return html`<p class="task-history" data-testid="task-history">
    ${actions.map((action, i) => html`${i > 0 ? ' · ' : ''}<span title=${dateTime(action.at)} data-action=${action.action}>${
      t(`who.${action.action}`, { who: actorName(action.actor) })}${action.action === 'resume' ? resumeDetails(action) : ''}</span>`)}
  </p>`
}
