import { render } from 'preact'
import { useEffect, useMemo, useState } from 'preact/hooks'
import { setCredentials } from './api.js'
import { html } from './html.js'
import { setLanguage } from './i18n.js'
import { Live } from './live.js'
import { markRefused, readSession, signOut, takeTokenFromAddress } from './session.js'
import { SignIn } from './views/sign-in.js'
import { TaskForm } from './views/task-form.js'
import { TaskList } from './views/task-list.js'
import { TaskPage } from './views/task-page.js'
import { TopBar } from './views/top-bar.js'

/** `#/` the tasks, `#/tasks/12` one task, `#/new` a new task. */
function route() {
  if (/^#\/new\b/.test(location.hash)) return { view: 'new' }
  const match = /^#\/tasks\/(\d+)/.exec(location.hash)
  return match ? { view: 'task', id: Number(match[1]) } : { view: 'list' }
}

function useRoute() {
  const [current, setCurrent] = useState(route())
  useEffect(() => {
    const changed = () => setCurrent(route())
    window.addEventListener('hashchange', changed)
    return () => window.removeEventListener('hashchange', changed)
  }, [])
  return current
}

function App() {
  const [session, setSession] = useState(readSession())
  const [, setLang] = useState(null)
  const [connection, setConnection] = useState('connecting')
  const current = useRoute()
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
  return html`<${TopBar} session=${session} connection=${connection} onLanguage=${changeLanguage}
      onSignOut=${() => { signOut(); setSession(null) }} />
    ${current.view === 'new' ? html`<${TaskForm} />`
      : current.view === 'task' ? html`<${TaskPage} key=${current.id} live=${live} id=${current.id} />` : html`<${TaskList} live=${live} />`}`
}

takeTokenFromAddress()
render(html`<${App} />`, document.getElementById('app'))
