import { useEffect, useRef, useState } from 'preact/hooks'
import { ApiError, get } from '../api.js'
import { html } from '../html.js'
import { t } from '../i18n.js'
import { dateTime, relativeTime } from '../format.js'
import { useTaskEvents } from '../task-events.js'
import { ArtifactsPanel } from './artifacts-panel.js'
import { JobsPanel } from './jobs-panel.js'
import { LogView } from './log-view.js'
import { ReviewPanel, waitsForReview } from './review-panel.js'
import { ProgressBar, StatusBadge, reasonOf, useNow } from './status.js'
import { StepsPanel } from './steps-panel.js'
import { StepTimeline } from './step-timeline.js'
import { TaskActions } from './task-actions.js'
import { TaskHistory } from './task-history.js'

async function loadTask(id) {
  const [task, executions, jobs, artifacts] = await Promise.all([
    get(`api/tasks/${id}`), get(`api/tasks/${id}/executions`), get(`api/tasks/${id}/jobs`), get(`api/tasks/${id}/artifacts`),
  ])
  return { task, executions: executions.items, jobs: jobs.items, artifacts: artifacts.items }
}

/**
 * One task: its header, steps and attempts, cluster jobs, artifacts and live log. Status and progress events
 * update the header at once; other events (a step started or finished, a job changed) reload the task's
 * records, at most a few times a second.
 */
export function TaskPage({ live, id }) {
  const [data, setData] = useState(null)
  const [error, setError] = useState(null)
  useNow()
  const reloadTimer = useRef(null)
  const reload = () => loadTask(id).then((next) => { setData(next); setError(null) }, setError)
  const reloadSoon = () => {
    clearTimeout(reloadTimer.current)
    reloadTimer.current = setTimeout(reload, 250)
  }
  const log = useTaskEvents(live, id, (event) => {
    if (event.type === 'task.status' || event.type === 'task.progress') {
      setData((current) => current && { ...current, task: patchTask(current.task, event) })
    }
    reloadSoon()
  })
  useEffect(() => {
    setData(null)
    reload()
    return () => clearTimeout(reloadTimer.current)
  }, [id])

  if (error instanceof ApiError && error.status === 404) return html`<main><p class="error" role="alert">${t('task.notFound', { id })}</p></main>`
  if (!data) return html`<main>${error ? html`<p class="error" role="alert">${error.message}</p>` : t('common.loading')}</main>`
  const { task } = data
  const reason = reasonOf(task)
  const changed = (next) => { setData((current) => ({ ...current, task: { ...current.task, ...next } })); reloadSoon() }
  return html`<main class="task-page" data-task-id=${task.id}>
    <p><a href="#/">← ${t('list.title')}</a></p>
    <header class="task-header panel">
      <h1>${task.task_name} <span class="sub">#${task.id}</span></h1>
      <div class="task-facts">
        <${StatusBadge} status=${task.status} />
        <${ProgressBar} value=${task.progress_percentage} />
        <span>${t('task.currentStep')}: <strong data-testid="current-step">${task.current_step ?? '—'}</strong></span>
        <span>${t('task.user')}: ${task.user_id}</span>
        <span>${t('task.workflow')}: ${task.workflow_name}</span>
        <span title=${dateTime(task.created_at)}>${t('task.created', { when: relativeTime(task.created_at) })}</span>
        ${task.completed_at ? html`<span title=${dateTime(task.completed_at)}>${t('task.completed', { when: relativeTime(task.completed_at) })}</span>` : null}
      </div>
      <${TaskHistory} actions=${task.actions} />
      ${reason ? html`<p class="reason" data-testid="reason">${reason}</p>` : null}
      <${TaskActions} task=${task} onChanged=${changed} />
    </header>
    ${waitsForReview(task) ? html`<${ReviewPanel} task=${task} artifacts=${data.artifacts} onChanged=${changed} />` : null}
    ${error ? html`<p class="error" role="alert">${error.message}</p>` : null}
    <${StepTimeline} executions=${data.executions} statuses=${log.statuses} taskStatus=${task.status} />
    <div class="task-columns">
      <${StepsPanel} steps=${task.steps} executions=${data.executions} />
      <div>
        <${JobsPanel} counts=${task.progress.jobs} jobs=${data.jobs} />
        <${ArtifactsPanel} taskId=${task.id} artifacts=${data.artifacts} />
      </div>
    </div>
    <${LogView} lines=${log.lines} version=${log.version} taskId=${task.id} executions=${data.executions} />
  </main>`
}

/** A live change newer than what the task was loaded with (a replayed older one is left out). */
function patchTask(task, event) {
  if (event.seq <= task.last_seq) return task
  task = { ...task, last_seq: event.seq }
  if (event.type === 'task.status') return { ...task, status: event.data.status, status_reason: event.data.reason }
  return { ...task, progress_percentage: event.data.progress_percentage, current_step: event.data.current_step }
}
