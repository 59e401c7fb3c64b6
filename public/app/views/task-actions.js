import { useState } from 'preact/hooks'
import { api } from '../api.js'
import { html } from '../html.js'
import { t } from '../i18n.js'

const finished = ['success', 'failed', 'cancelled']

/** Pause, resume and cancel, each offered when the task's status allows it; cancel asks first. */
export function TaskActions({ task, onChanged }) {
  const [confirming, setConfirming] = useState(false)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState(null)
  const act = async (action) => {
    setBusy(true)
    setError(null)
    try {
      onChanged(await api('POST', `api/tasks/${task.id}/${action}`))
    } catch (e) {
      setError(e)
    } finally {
      setBusy(false)
      setConfirming(false)
    }
  }
  const canPause = task.status === 'running' || task.status === 'queued'
  const canResume = task.status === 'paused'
  const canCancel = !finished.includes(task.status) && task.status !== 'cancelling'
  return html`<div class="actions">
    ${canPause ? html`<button type="button" disabled=${busy} onClick=${() => act('pause')}>${t('action.pause')}</button>` : null}
    ${canResume ? html`<button type="button" class="primary" disabled=${busy} onClick=${() => act('resume')}>${t('action.resume')}</button>` : null}
    ${canCancel && !confirming ? html`<button type="button" class="danger" disabled=${busy} onClick=${() => setConfirming(true)}>${t('action.cancel')}</button>` : null}
    ${confirming ? html`<span class="confirm" role="alertdialog" aria-label=${t('action.confirmCancel')}>
      ${t('action.confirmCancel')}
      <button type="button" class="danger" disabled=${busy} onClick=${() => act('cancel')} data-testid="confirm-cancel">${t('action.yesCancel')}</button>
      <button type="button" onClick=${() => setConfirming(false)}>${t('action.keep')}</button>
    </span>` : null}
    ${error ? html`<span class="error" role="alert">${error.message}</span>` : null}
  </div>`
}
