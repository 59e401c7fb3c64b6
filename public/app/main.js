import { render } from 'preact'
import { useEffect, useMemo, useState } from 'preact/hooks'
import { useAddress } from './address.js'
import { setCredentials } from './api.js'
import { html } from './html.js'
import { setLanguage } from './i18n.js'
import { Live } from './live.js'
import { markRefused, readSession, signOut, takeTokenFromAddress } from './session.js'
import { DaysPage } from './views/days-page.js'
import { SignIn } from './views/sign-in.js'
import { TaskForm } from './views/task-form.js'
import { TaskList } from './views/task-list.js'
import { TaskPage } from './views/task-page.js'
import { OfflineBanner, TopBar } from './views/top-bar.js'
import { WallView } from './views/wall-view.js'

/**
 * The page's views by address, the first that matches wins: `render(match, live)` draws it; `bare` leaves the
 * top bar out (the wall screen); `nav` puts a link to `href` in the top bar under that catalogue key. An
 * unknown address shows the tasks. A new view is one more entry here.
 */
const taskList = (m, live) => html`<${TaskList} live=${live} />`
const routes = [
  { pattern: /^(#\/?)?$/, nav: 'nav.tasks', href: '#/', render: taskList },
  { pattern: /^#\/new\b/, render: () => html`<${TaskForm} />` },
  { pattern: /^#\/tasks\/(\d+)/, render: (m, live) => html`<${TaskPage} key=${m[1]} live=${live} id=${Number(m[1])} />` },
  { pattern: /^#\/days(?:\/(round\d+))?$/, nav: 'nav.days', href: '#/days',
    render: (m, live) => html`<${DaysPage} live=${live} round=${m[1]} />` },
  { pattern: /^#\/wall$/, nav: 'nav.wall', href: '#/wall', bare: true, render: (m, live) => html`<${WallView} live=${live} />` },
  { pattern: /^/, render: taskList },
]
const navLinks = routes.filter((r) => r.nav).map((r) => ({ href: r.href, label: r.nav }))

function route() {
  for (const entry of routes) {
    const match = entry.pattern.exec(location.hash)
    if (match) return { entry, match }
  }
}

function App() {
  const [session, setSession] = useState(readSession())
  const [, setLang] = useState(null)
  const [connection, setConnection] = useState('connecting')
  const current = useAddress(route)
  const refused = () => { markRefused(); setSession({ expired: true }) }
  const live = useMemo(() => {
    if (!session?.token) return null
    setCredentials(session.token, refused)
    return new Live(session.token, setConnection)
  }, [session?.token])
  useEffect(() => () => live?.stop(), [live])
  // An expired token is refused anyway; noticing it here asks for a new link without waiting for a request.
  useEffect(() => {
    if (!session?.expiresAt) return
    const timer = setTimeout(refused, Math.min(session.expiresAt - Date.now(), 2 ** 31 - 1))
    return () => clearTimeout(timer)
  }, [session?.expiresAt])

  // A new link opened in this tab signs in again without a reload.
  useEffect(() => {
    const arrived = () => { if (location.hash.startsWith('#token=')) { takeTokenFromAddress(); setSession(readSession()) } }
    window.addEventListener('hashchange', arrived)
    return () => window.removeEventListener('hashchange', arrived)
  }, [])

  const changeLanguage = (code) => { setLanguage(code); setLang(code) }
  if (!session?.token) return html`<${SignIn} expired=${session?.expired === true} />`
  const view = current.entry.render(current.match, live)
  if (current.entry.bare) return html`<${OfflineBanner} connection=${connection} />${view}`
  return html`<${TopBar} session=${session} connection=${connection} onLanguage=${changeLanguage} links=${navLinks}
      onSignOut=${() => { signOut(); setSession(null) }} />
    ${view}`
}

takeTokenFromAddress()
render(html`<${App} />`, document.getElementById('app'))
