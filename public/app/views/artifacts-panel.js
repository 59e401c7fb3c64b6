import { useMemo, useState } from 'preact/hooks'
import { fileAddress, get, linkFresh } from '../api.js'
import { html } from '../html.js'
import { t } from '../i18n.js'
import { bytes, dateTime } from '../format.js'

/** How a file can be shown in the page: 'pdf', 'png', or null (it is only downloaded). */
export function viewerOf(artifact) {
  const type = artifact.content_type ?? ''
  if (/^application\/pdf\b/i.test(type) || /\.pdf$/i.test(artifact.name)) return 'pdf'
  return /^image\/png\b/i.test(type) ? 'png' : null
}

/** A PDF or PNG in the page, through its signed link (taken once per file, so a reloaded list does not reload it). */
export function FileView({ artifact, ...rest }) {
  const src = useMemo(() => fileAddress(artifact), [artifact.id])
  const title = t('artifacts.viewTitle', { name: artifact.name })
  return viewerOf(artifact) === 'png'
    ? html`<img class="file-view" src=${src} alt=${title} ...${rest} />`
    : html`<iframe class="file-view" src=${src} title=${title} ...${rest}></iframe>`
}

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

/** Files the task's download steps brought back; each opens in a new tab, and a PDF or PNG also in the page. */
export function ArtifactsPanel({ taskId, artifacts }) {
  const [error, setError] = useState(null)
  const [shownId, setShownId] = useState(null)
  if (artifacts.length === 0) return null
  const shown = artifacts.find((a) => a.id === shownId)
  return html`<section class="panel" aria-label=${t('artifacts.title')} data-testid="artifacts">
    <h2>${t('artifacts.title')}</h2>
    ${error ? html`<p class="error" role="alert">${error.message}</p>` : null}
    <ul class="artifacts">${artifacts.map((a) => html`<li key=${a.id}>
      <${FileLink} taskId=${taskId} artifact=${a} onError=${setError}>${a.name}<//>${' '}<span class="sub">${a.content_type ?? ''} · ${bytes(a.size)} · ${a.step_id} · ${dateTime(a.created_at)}</span>
      ${viewerOf(a) ? html`${' '}<button type="button" class="link" aria-pressed=${a.id === shownId ? 'true' : 'false'}
        onClick=${() => setShownId(a.id === shownId ? null : a.id)}>${a.id === shownId ? t('artifacts.hide') : t('artifacts.show')}</button>` : null}
    </li>`)}</ul>
    ${shown ? html`<${FileView} key=${shown.id} artifact=${shown} data-testid="artifact-view" />` : null}
  </section>`
}
