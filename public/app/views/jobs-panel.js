import { html } from '../html.js'
import { t } from '../i18n.js'
import { relativeTime } from '../format.js'

/** The cluster jobs the task's steps submitted: counts by state, then each job with its held/removed reason. */
export function JobsPanel({ counts, jobs }) {
  if (!counts || counts.total === 0) return null
  const states = Object.entries(counts.by_state).filter(([, n]) => n > 0)
  return html`<section class="panel" aria-label=${t('jobs.title')} data-testid="jobs">
    <h2>${t('jobs.title')} <span class="sub">${counts.summary}</span></h2>
    <p class="job-counts">${states.map(([state, n]) => html`<span class=${`job-count job-${state}`}>${t(`job.${state}`)}: ${n}</span>`)}</p>
    <table class="jobs">
      <thead><tr><th>${t('jobs.id')}</th><th>${t('jobs.step')}</th><th>${t('jobs.state')}</th><th>${t('jobs.exit')}</th>
        <th>${t('jobs.reason')}</th><th>${t('jobs.since')}</th></tr></thead>
      <tbody>${jobs.map((job) => html`<tr key=${job.id}>
        <td>${job.job_id}</td><td>${job.step_id}</td><td><span class=${`status status-${job.state}`}>${t(`job.${job.state}`)}</span></td>
        <td>${job.signal !== null ? `signal ${job.signal}` : job.exit_code ?? ''}</td><td>${job.reason ?? ''}</td>
        <td>${relativeTime(job.state_since)}</td>
      </tr>`)}</tbody>
    </table>
  </section>`
}
