import { useState } from 'preact/hooks'
import { openFile } from '../api.js'
import { html } from '../html.js'
import { t } from '../i18n.js'
import { bytes, dateTime } from '../format.js'

/** Files the task's download steps brought back; each opens in a new tab. */
export function ArtifactsPanel({ artifacts }) {
  const [error, setError] = useState(null)
  if (artifacts.length === 0) return null
  return html`<section class="panel" aria-label=${t('artifacts.title')} data-testid="artifacts">
    <h2>${t('artifacts.title')}</h2>
    ${error ? html`<p class="error" role="alert">${error.message}</p>` : null}
    <ul class="artifacts">${artifacts.map((a) => html`<li key=${a.id}>
      <button type="button" class="link" onClick=${() => openFile(`api/artifacts/${a.id}`).catch(setError)}>${a.name}</button>${' '}<span class="sub">${a.content_type ?? ''} · ${bytes(a.size)} · ${a.step_id} · ${dateTime(a.created_at)}</span>
    </li>`)}</ul>
  </section>`
}
