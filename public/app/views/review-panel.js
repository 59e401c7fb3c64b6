import { useEffect, useState } from 'preact/hooks'
import { get } from '../api.js'
import { html } from '../html.js'
import { t } from '../i18n.js'
import { FileLink, FileView, viewerOf } from './artifacts-panel.js'
import { ResumeDialog } from './resume-dialog.js'
import { CancelButton } from './task-actions.js'
import { useAction } from './use-action.js'

const REVIEW = 'waiting for review'

/** Paused at a review point of its workflow (a step's `pause_after`), not for a failure or by a person. */
export const waitsForReview = (task) => task.status === 'paused' && (task.status_reason ?? '').startsWith(REVIEW)

/** The stage's PDF: the newest one the paused step fetched, or else the task's newest PDF. */
export function reviewFile(task, artifacts) {
  const pdfs = artifacts.filter((a) => viewerOf(a) === 'pdf')
  return pdfs.filter((a) => a.step_id === task.current_step).at(-1) ?? pdfs.at(-1) ?? null
}

/**
 * The step a re-run starts from by default: the first step after the previous review point, i.e. the start of
 * the stage under review (the steps' `pause_after` comes from the workflow; without it, the first step).
 */
function stageStart(task, workflowSteps) {
  const ids = task.steps.map((s) => s.step_id)
  const here = ids.indexOf(task.current_step)
  const pauses = new Set((workflowSteps ?? []).filter((s) => s.pause_after === true).map((s) => s.id))
  let start = 0
  for (let i = 0; i < here; i++) if (pauses.has(ids[i])) start = i + 1
  return ids[start] ?? ''
}

/**
 * A task waiting for review: what to look at (the step's `review` text, from the pause reason) and the stage's
 * PDF in the page, through its signed link; then "looks good — resume", "re-run from …" or cancel.
 */
export function ReviewPanel({ task, artifacts, onChanged }) {
  const [dialog, setDialog] = useState(false)
  const [workflowSteps, setWorkflowSteps] = useState(null)
  useEffect(() => {
    // Only to place the default re-run step; without it the first step is offered.
    get(`api/workflows/${encodeURIComponent(task.workflow_name)}`).then((w) => setWorkflowSteps(w.steps), () => setWorkflowSteps([]))
  }, [task.workflow_name])
  const { busy, error, run } = useAction(task, onChanged)
  const pdf = reviewFile(task, artifacts)
  const what = (task.status_reason ?? '').slice(REVIEW.length).replace(/^:\s*/, '')
  const from = stageStart(task, workflowSteps)
  const fromName = task.steps.find((s) => s.step_id === from)?.display_name ?? from
  return html`<section class="panel review" aria-labelledby="review-title" data-testid="review">
    <div class="panel-head">
      <h2 id="review-title">${t('review.title')}</h2>
      ${pdf ? html`<${FileLink} taskId=${task.id} artifact=${pdf}>${t('review.openTab', { name: pdf.name })}<//>` : null}
    </div>
    <p>${what ? t('review.what', { what }) : t('review.generic', { step: task.current_step ?? '' })}</p>
    ${pdf ? html`<${FileView} key=${pdf.id} artifact=${pdf} class="file-view review-pdf" data-testid="review-pdf" />`
      : html`<p class="notice">${t('review.noPdf')}</p>`}
    <div class="actions">
      <button type="button" class="primary" disabled=${busy} onClick=${() => run('resume')} data-testid="review-approve">${t('review.approve')}</button>
      <button type="button" disabled=${busy} onClick=${() => setDialog(true)} data-testid="review-rerun">${t('review.rerun', { step: fromName })}</button>
      <${CancelButton} task=${task} onChanged=${onChanged} />
      ${error ? html`<span class="error" role="alert">${error.message}</span>` : null}
    </div>
    ${dialog ? html`<${ResumeDialog} task=${task} retryFrom=${from} onChanged=${onChanged} onClose=${() => setDialog(false)} />` : null}
  </section>`
}
