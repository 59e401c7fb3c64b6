import { useEffect, useRef, useState } from 'preact/hooks'
import { get } from '../api.js'
import { html } from '../html.js'
import { t } from '../i18n.js'
import { dateTime, relativeTime } from '../format.js'
import { readSession } from '../session.js'
import { fromDateInput } from './parameter-fields.js'
import { ProgressBar, StatusBadge, reasonOf, useNow } from './status.js'

const statuses = ['pending', 'queued', 'running', 'pausing', 'paused', 'cancelling', 'cancelled', 'success', 'failed']

function listPath(filters) {
  const query = new URLSearchParams({ limit: '100' })
  if (filters.status) query.set('status', filters.status)
  if (filters.workflow) query.set('workflow_name', filters.workflow)
  if (filters.day) query.set('date_param', fromDateInput(filters.day))
  if (filters.created) {
    // The day in the browser's time zone, like every time the page shows.
    const from = new Date(`${filters.created}T00:00:00`)
    query.set('created_after', from.toISOString())
    query.set('created_before', new Date(from.getFullYear(), from.getMonth(), from.getDate() + 1).toISOString())
  }
  if (filters.user.trim()) query.set('user_id', filters.user.trim())
  return `api/tasks?${query}`
}

const noFilters = { status: '', workflow: '', day: '', created: '', user: '' }

/**
 * The tasks one may see, newest first, kept current by the `subscribe_tasks` feed: a change of a listed task is
 * applied in place; a task not listed (new) or one that may leave the filter reloads the list, as does a reconnect
 * (the feed has no replay).
 */
export function TaskList({ live }) {
  const [filters, setFilters] = useState(noFilters)
  const admin = readSession()?.role === 'admin'
  const [page, setPage] = useState(null)
  const [workflows, setWorkflows] = useState([])
  const [error, setError] = useState(null)
  useNow()
  const reloadTimer = useRef(null)

  const latest = useRef(0)
  // Only the newest request's answer is shown: an older one (other filters, an earlier reload) may arrive last.
  const load = () => {
    const mine = ++latest.current
    return get(listPath(filters)).then((data) => { if (mine === latest.current) { setPage(data); setError(null) } },
      (error) => { if (mine === latest.current) setError(error) })
  }
  const reloadSoon = () => {
    clearTimeout(reloadTimer.current)
    reloadTimer.current = setTimeout(load, 200)
  }

  useEffect(() => { get('api/workflows').then((data) => setWorkflows(data.items), setError) }, [])
  useEffect(() => {
    load()
    const stop = live.subscribeTasks((event) => {
      setPage((current) => {
        const known = current?.items.some((task) => task.id === event.task_id)
        const leaves = event.type === 'task.status' && filters.status && event.data.status !== filters.status
        // A failure's message is in the task, not in the event.
        if (!known || leaves || (event.type === 'task.status' && event.data.status === 'failed')) {
          reloadSoon()
          return current
        }
        return { ...current, items: current.items.map((task) => (task.id === event.task_id ? applyChange(task, event) : task)) }
      })
    }, reloadSoon)
    return () => { stop(); clearTimeout(reloadTimer.current) }
  }, [live, JSON.stringify(filters)])

  const set = (name) => (e) => setFilters({ ...filters, [name]: e.currentTarget.value })
  return html`<main class="task-list">
    <div class="title-row"><h1>${t('list.title')}</h1><a class="button primary" href="#/new" data-testid="new-task">${t('list.newTask')}</a></div>
    <form class="filters" onSubmit=${(e) => e.preventDefault()}>
      <label>${t('list.status')}
        <select value=${filters.status} onChange=${set('status')} data-testid="filter-status">
          <option value="">${t('list.all')}</option>
          ${statuses.map((s) => html`<option value=${s}>${t(`status.${s}`)}</option>`)}
        </select>
      </label>
      <label>${t('list.workflow')}
        <select value=${filters.workflow} onChange=${set('workflow')} data-testid="filter-workflow">
          <option value="">${t('list.all')}</option>
          ${workflows.map((w) => html`<option value=${w.name}>${w.display_name}</option>`)}
        </select>
      </label>
      <label>${t('list.day')}
        <input type="date" value=${filters.day} onChange=${set('day')} data-testid="filter-day" />
      </label>
      <label>${t('list.created')}
        <input type="date" value=${filters.created} onChange=${set('created')} data-testid="filter-created" />
      </label>
      ${admin ? html`<label>${t('list.user')}
        <input type="search" value=${filters.user} onChange=${set('user')} placeholder=${t('list.everyone')} size="12" data-testid="filter-user" />
      </label>` : null}
      ${Object.values(filters).some(Boolean) ? html`<button type="button" class="link" onClick=${() => setFilters(noFilters)}>${t('list.clear')}</button>` : null}
      ${page ? html`<span class="count">${t('list.count', { n: page.total })}</span>` : null}
    </form>
    ${error ? html`<p class="error" role="alert">${error.message}</p>` : null}
    ${page && page.items.length === 0 ? html`<p class="empty">${t('list.empty')}</p>` : null}
    ${page && page.items.length > 0 ? html`<table class="tasks">
      <thead><tr>
        <th>${t('list.id')}</th><th>${t('list.name')}</th><th>${t('list.status')}</th><th>${t('task.progress')}</th>
        <th>${t('task.currentStep')}</th><th>${t('list.reason')}</th><th>${t('task.user')}</th><th>${t('list.updated')}</th>
      </tr></thead>
      <tbody>${page.items.map((task) => html`<tr key=${task.id} data-task-id=${task.id}>
        <td>${task.id}</td>
        <td><a href=${`#/tasks/${task.id}`}>${task.task_name}</a><div class="sub">${task.workflow_name}</div></td>
        <td><${StatusBadge} status=${task.status} /></td>
        <td><${ProgressBar} value=${task.progress_percentage} /></td>
        <td>${task.current_step ?? ''}</td>
        <td class="reason">${reasonOf(task)}</td>
        <td>${task.user_id}</td>
        <td title=${dateTime(task.updated_at)}>${relativeTime(task.updated_at)}</td>
      </tr>`)}</tbody>
    </table>` : null}
  </main>`
}

/** A feed event applied to a listed task. */
export function applyChange(task, event) {
  if (event.type === 'task.status') {
    return { ...task, status: event.data.status, status_reason: event.data.reason, updated_at: event.at, last_seq: event.seq }
  }
  return { ...task, progress_percentage: event.data.progress_percentage, current_step: event.data.current_step,
    updated_at: event.at, last_seq: event.seq }
}
