import { useEffect, useState } from 'preact/hooks'
import { html } from '../html.js'
import { t } from '../i18n.js'

export function StatusBadge({ status }) {
  return html`<span class="status status-${status}" data-status=${status}>${t(`status.${status}`)}</span>`
}

export function ProgressBar({ value }) {
  const percent = Math.max(0, Math.min(100, Math.round(value ?? 0)))
  return html`<span class="progress" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow=${percent}
    aria-label=${t('task.progress')}><span class="progress-fill" style=${`width: ${percent}%`}></span>
    <span class="progress-text">${percent}%</span></span>`
}

/** Why a task stopped: the pause's reason or the failure's message. */
export const reasonOf = (task) => (task.status === 'failed' ? task.error_message ?? task.status_reason : task.status_reason) ?? ''

/** Renders the component again every `everyMs`, so relative times keep moving. */
export function useNow(everyMs = 15_000) {
  const [, setTick] = useState(0)
  useEffect(() => {
    const timer = setInterval(() => setTick((n) => n + 1), everyMs)
    return () => clearInterval(timer)
  }, [everyMs])
}
