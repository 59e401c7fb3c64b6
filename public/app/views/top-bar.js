import { html } from '../html.js'
import { catalogues, language, t } from '../i18n.js'
import { dateTime, relativeTime } from '../format.js'
import { useNow } from './status.js'

/** Who is signed in and until when, the language switch, sign out; the offline banner below it. */
export function TopBar({ session, connection, onLanguage, onSignOut, links = [] }) {
  useNow(30_000)
  return html`<header class="top-bar">
      <a class="brand" href="#/">Topup</a>
      <nav class="top-nav">${links.map((link) => html`<a href=${link.href}>${t(link.label)}</a>`)}</nav>
      <span class="who" data-testid="who">
        ${t('top.signedIn', { user: session.user })}${session.role === 'admin' ? ` (${t('top.admin')})` : ''}${' · '}<span title=${dateTime(session.expiresAt.toISOString())}>${t('top.expires', { when: relativeTime(session.expiresAt.toISOString()) })}</span>
      </span>
      <label class="lang">${t('top.language')}
        <select value=${language()} onChange=${(e) => onLanguage(e.currentTarget.value)} data-testid="language">
          ${Object.keys(catalogues).map((code) => html`<option value=${code}>${catalogues[code]['language.name']}</option>`)}
        </select>
      </label>
      <button type="button" onClick=${onSignOut}>${t('top.signOut')}</button>
    </header>
    <${OfflineBanner} connection=${connection} />`
}

export const OfflineBanner = ({ connection }) =>
  (connection === 'offline' ? html`<div class="banner" role="status" data-testid="offline">${t('top.offline')}</div>` : null)
