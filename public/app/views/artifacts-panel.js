import { useState } from 'preact/hooks'
import { fileAddress, get, linkFresh } from '../api.js'
import { html } from '../html.js'
import { t } from '../i18n.js'
import { bytes, dateTime } from '../format.js'

/** The artifact as listed now, with a fresh signed link. */
export async function freshArtifact(taskId, artifactId) {
  const list = await get(`api/tasks/${taskId}/artifacts?limit=1000`)
  const found = list.items.find((a) => a.id === artifactId)
  if (!found) throw new Error(t('artifacts.gone'))
  return found
}

/**
 * A link that opens the file in a new tab through its signed URL (PDFs and PNGs are shown, others saved). A page
 * left open longer than the link lives asks for a fresh one first; the tab is opened within the click so that no
 * pop-up blocker stops it.
 */
export function FileLink({ taskId, artifact, onError, children, ...rest }) {
  const open = async (e) => {
    if (linkFresh(artifact)) return
    e.preventDefault()
    const tab = window.open('', '_blank')
    try {
      const fresh = await freshArtifact(taskId, artifact.id)
      if (tab) tab.location.href = fileAddress(fresh)
    } catch (error) {
      tab?.close()
      onError?.(error)
    }
  }
  return html`<a href=${fileAddress(artifact)} target="_blank" rel="noopener" onClick=${open} ...${rest}>${children}</a>`
}

/** Files the task's download steps brought back; each opens in a new tab. */
export function ArtifactsPanel({ taskId, artifacts }) {
  const [error, setError] = useState(null)
  if (artifacts.length === 0) return null
  return html`<section class="panel" aria-label=${t('artifacts.title')} data-testid="artifacts">
    <h2>${t('artifacts.title')}</h2>
    ${error ? html`<p class="error" role="alert">${error.message}</p>` : null}
    <ul class="artifacts">${artifacts.map((a) => html`<li key=${a.id}>
      <${FileLink} taskId=${taskId} artifact=${a} onError=${setError}>${a.name}<//>${' '}<span class="sub">${a.content_type ?? ''} · ${bytes(a.size)} · ${a.step_id} · ${dateTime(a.created_at)}</span>
    </li>`)}</ul>
  </section>`
}
