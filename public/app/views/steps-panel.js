import { html } from '../html.js'
import { t } from '../i18n.js'
import { dateTime, duration } from '../format.js'
import { StatusBadge } from './status.js'

/** The workflow's steps in order, each with its attempts (executions). */
export function StepsPanel({ steps, executions }) {
  return html`<section class="panel" aria-label=${t('steps.title')}>
    <h2>${t('steps.title')}</h2>
    <ol class="steps">${steps.map((step) => {
      const attempts = executions.filter((e) => e.step_name === step.step_id)
      return html`<li key=${step.step_id} class="step" data-step=${step.step_id}>
        <div class="step-head">
          <${StatusBadge} status=${step.status} />
          <strong>${step.display_name}</strong>
          <span class="sub">${step.type}</span>
          ${step.duration_seconds !== null ? html`<span class="sub">${duration(step.duration_seconds)}</span>` : null}
        </div>
        ${attempts.length > 0 ? html`<table class="attempts">
          <thead><tr><th>${t('steps.attempt')}</th><th>${t('list.status')}</th><th>${t('steps.started')}</th>
            <th>${t('steps.duration')}</th><th>${t('steps.result')}</th></tr></thead>
          <tbody>${attempts.map((a) => html`<tr key=${a.id}>
            <td>${a.attempt}</td><td><${StatusBadge} status=${a.status} /></td><td>${dateTime(a.start_time)}</td>
            <td>${duration(a.duration_seconds)}</td>
            <td class=${a.error_details ? 'error' : ''}>${a.error_details ?? a.output_summary ?? ''}</td>
          </tr>`)}</tbody>
        </table>` : null}
      </li>`
    })}</ol>
  </section>`
}
