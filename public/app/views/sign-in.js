import { html } from '../html.js'
import { t } from '../i18n.js'

/** Shown without a usable token: how to get a link, and why a new one is needed. */
export function SignIn({ expired }) {
  return html`<main class="sign-in">
    <h1>${t('signin.title')}</h1>
    ${expired ? html`<p class="notice" role="alert" data-testid="signin-expired">${t('signin.expired')}</p>` : null}
    <p>${t('signin.how')}</p>
    <pre><code>${'npm run token -- --user <name> --link'}</code></pre>
    <p>${t('signin.docs')} <a href="./docs">docs</a></p>
  </main>`
}
