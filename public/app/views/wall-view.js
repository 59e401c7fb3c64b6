import { useEffect, useRef, useState } from 'preact/hooks'
import { get } from '../api.js'
import { html } from '../html.js'
import { language, t } from '../i18n.js'
import { relativeTime } from '../format.js'
import { ProgressBar, StatusBadge, reasonOf, useNow } from './status.js'
import { applyChange } from './task-list.js'

/** Still going on, whenever it was created: on the wall with today's tasks. */
const ongoing = ['running', 'pausing', 'paused', 'queued', 'cancelling']
const finished = ['success', 'failed', 'cancelled']

function startOfToday() {
  const now = new Date()
  return new Date(now.getFullYear(), now.getMonth(), now.getDate()).toISOString()
}

/** Today's tasks and every task still going on, newest first, each once. */
async function loadWall() {
  const pages = await Promise.all([
    get(`api/tasks?${new URLSearchParams({ created_after: startOfToday(), limit: '200' })}`),
    ...ongoing.map((status) => get(`api/tasks?${new URLSearchParams({ status, limit: '200' })}`)),
  ])
  const byId = new Map()
  for (const page of pages) for (const task of page.items) byId.set(task.id, task)
  return [...byId.values()].sort((a, b) => b.id - a.id)
}

function Card({ task }) {
  const reason = reasonOf(task)
  return html`<article class=${`wall-card wall-${task.status}`} data-task-id=${task.id}>
    <div class="wall-card-head"><${StatusBadge} status=${task.status} /><span class="wall-user">${task.user_id}</span></div>
    <h2>${task.task_name}</h2>
    <${ProgressBar} value=${task.progress_percentage} />
    ${task.current_step && !finished.includes(task.status) ? html`<p class="wall-step">${task.current_step}</p>` : null}
    ${reason ? html`<p class="wall-reason">${reason}</p>` : null}
    <p class="wall-time">${t('wall.updated', { when: relativeTime(task.updated_at) })}</p>
  </article>`
}

/**
 * For a screen in the control room: today's tasks of everyone the viewer may see (and those still going on from
 * before), in large type, live through the tasks feed; nothing to click.
 */
export function WallView({ live }) {
  const [tasks, setTasks] = useState(null)
  const [error, setError] = useState(null)
  const reloadTimer = useRef(null)
  useNow(10_000)

  const load = () => loadWall().then((next) => { setTasks(next); setError(null) }, setError)
  const reloadSoon = () => {
    clearTimeout(reloadTimer.current)
    reloadTimer.current = setTimeout(load, 300)
  }
  useEffect(() => {
    load()
    // The feed tells of changes only: a task created but not started, or a new day, shows at the next load.
    const periodic = setInterval(load, 60_000)
    const stop = live.subscribeTasks((event) => {
      setTasks((current) => {
        if (!current?.some((task) => task.id === event.task_id) || (event.type === 'task.status' && event.data.status === 'failed')) {
          reloadSoon()
          return current
        }
        return current.map((task) => (task.id === event.task_id ? applyChange(task, event) : task))
      })
    }, reloadSoon)
    return () => { stop(); clearInterval(periodic); clearTimeout(reloadTimer.current) }
  }, [])

  const counts = {}
  for (const task of tasks ?? []) counts[task.status] = (counts[task.status] ?? 0) + 1
  const now = new Date()
  return html`<main class="wall" data-testid="wall">
    <header class="wall-head">
      <h1>${t('wall.title')}</h1>
      <span class="wall-counts">${Object.entries(counts).map(([status, n]) => html`<span data-count=${status}>
        <${StatusBadge} status=${status} /> ${n}</span>`)}</span>
      <span class="wall-clock">${new Intl.DateTimeFormat(language() === 'zh' ? 'zh-CN' : 'en-GB',
        { weekday: 'long', day: 'numeric', month: 'long', hour: '2-digit', minute: '2-digit' }).format(now)}</span>
    </header>
    ${error ? html`<p class="error" role="alert">${error.message}</p>` : null}
    ${tasks && tasks.length === 0 ? html`<p class="wall-empty">${t('wall.empty')}</p>` : null}
    <div class="wall-grid">${(tasks ?? []).map((task) => html`<${Card} key=${task.id} task=${task} />`)}</div>
  </main>`
}
