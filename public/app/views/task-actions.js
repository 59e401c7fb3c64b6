import { useState } from 'preact/hooks'
import { html } from '../html.js'
import { t } from '../i18n.js'
import { ResumeDialog } from './resume-dialog.js'
import { useAction } from './use-action.js'

const finished = ['success', 'failed', 'cancelled']

export const canCancel = (task) => !finished.includes(task.status) && task.status !== 'cancelling'

/** Cancel, after a confirmation. */
export function CancelButton({ task, onChanged }) {
  const [confirming, setConfirming] = useState(false)
  const { busy, error, run } = useAction(task, onChanged)
  const cancel = async () => { await run('cancel'); setConfirming(false) }
  return html`${!confirming ? html`<button type="button" class="danger" disabled=${busy} onClick=${() => setConfirming(true)}>${t('action.cancel')}</button>` : null}
    ${confirming ? html`<span class="confirm" role="alertdialog" aria-label=${t('action.confirmCancel')}>
      ${t('action.confirmCancel')}
      <button type="button" class="danger" disabled=${busy} onClick=${cancel} data-testid="confirm-cancel">${t('action.yesCancel')}</button>
      <button type="button" onClick=${() => setConfirming(false)}>${t('action.keep')}</button>
    </span>` : null}
    ${error ? html`<span class="error" role="alert">${error.message}</span>` : null}`
}

/**
 * Start, pause, resume and cancel, each offered when the task's status allows it; a paused task can also be resumed
 * with changed parameters or from another step, through the resume dialog.
 */
export function TaskActions({ task, onChanged }) {
  const { busy, error, run } = useAction(task, onChanged)
  const [dialog, setDialog] = useState(false)
  const canPause = task.status === 'running' || task.status === 'queued'
  const canResume = task.status === 'paused'
  return html`<div class="actions">
    ${task.status === 'pending' ? html`<button type="button" class="primary" disabled=${busy} onClick=${() => run('start')}>${t('action.start')}</button>` : null}
    ${canPause ? html`<button type="button" disabled=${busy} onClick=${() => run('pause')}>${t('action.pause')}</button>` : null}
    ${canResume ? html`<button type="button" class="primary" disabled=${busy} onClick=${() => run('resume')}>${t('action.resume')}</button>
      <button type="button" disabled=${busy} onClick=${() => setDialog(true)} data-testid="open-resume-dialog">${t('action.resumeWith')}</button>` : null}
    ${canCancel(task) ? html`<${CancelButton} task=${task} onChanged=${onChanged} />` : null}
    ${error ? html`<span class="error" role="alert">${error.message}</span>` : null}
    ${dialog ? html`<${ResumeDialog} task=${task} onChanged=${onChanged} onClose=${() => setDialog(false)} />` : null}
  </div>`
}
