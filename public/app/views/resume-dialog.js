import { useEffect, useRef, useState } from 'preact/hooks'
import { get } from '../api.js'
import { html } from '../html.js'
import { t } from '../i18n.js'
import { OtherErrors, ParameterFields, errorsByField, formValues, parameterValues, useValidation } from './parameter-fields.js'
import { useAction } from './use-action.js'

/** The parameters whose value differs from the task's (the resume lays only those over the current ones). */
function changedParameters(current, next) {
  return Object.fromEntries(Object.entries(next).filter(([name, value]) => JSON.stringify(current[name]) !== JSON.stringify(value)))
}

/**
 * Resume with changes: the task's parameters pre-filled and checked by the server as they are typed, and the
 * step to go on from (`retry_from_step`; by default where the task stopped). A modal <dialog>: Escape closes it.
 */
export function ResumeDialog({ task, retryFrom = '', onChanged, onClose }) {
  const dialog = useRef(null)
  const [definitions, setDefinitions] = useState(null)
  const [values, setValues] = useState(null)
  const [retry, setRetry] = useState(retryFrom)
  const [loadError, setLoadError] = useState(null)
  const { busy, error, run } = useAction(task, onChanged)

  useEffect(() => {
    dialog.current?.showModal()
    get(`api/workflows/${encodeURIComponent(task.workflow_name)}`).then((workflow) => {
      setDefinitions(workflow.parameters)
      setValues(formValues(workflow.parameters, task.parameters))
    }, setLoadError)
  }, [])
  const parameters = definitions ? parameterValues(definitions, values) : null
  const validation = useValidation(definitions ? task.workflow_name : null, parameters ?? {})
  const [submitted, setSubmitted] = useState(null)
  // The resume's own refusal names the fields until they are changed; then the check as you type speaks again.
  const refused = submitted === JSON.stringify(parameters) ? error?.problem?.errors : undefined
  const errors = errorsByField(refused ?? validation?.errors)

  const submit = async (e) => {
    e.preventDefault()
    setSubmitted(JSON.stringify(parameters))
    const changed = changedParameters(task.parameters, parameters)
    const body = {
      ...(Object.keys(changed).length > 0 ? { parameters: changed } : {}),
      ...(retry ? { retry_from_step: retry } : {}),
    }
    if (await run('resume', body)) onClose()
  }
  return html`<dialog ref=${dialog} class="resume-dialog" aria-labelledby="resume-title" onClose=${onClose} data-testid="resume-dialog">
    <form method="dialog" noValidate onSubmit=${submit}>
      <h2 id="resume-title">${t('resume.title', { id: task.id })}</h2>
      <p class="sub">${t('resume.explain')}</p>
      ${loadError ? html`<p class="error" role="alert">${loadError.message}</p>` : null}
      <div class="field">
        <label for="retry-from">${t('resume.from')}</label>
        <div class="field-input"><select id="retry-from" value=${retry} onChange=${(e) => setRetry(e.currentTarget.value)} data-testid="retry-from">
          <option value="">${t('resume.whereStopped', { step: task.resume_from_step ?? task.current_step ?? '—' })}</option>
          ${task.steps.map((s) => html`<option value=${s.step_id}>${s.order}. ${s.display_name} (${s.step_id})</option>`)}
        </select></div>
        <small class="help">${t('resume.fromHelp')}</small>
      </div>
      ${definitions ? html`<${ParameterFields} definitions=${definitions} values=${values} errors=${errors}
        onChange=${setValues} />
        <${OtherErrors} definitions=${definitions} errors=${errors} />` : html`<p>${t('common.loading')}</p>`}
      ${validation?.failure ? html`<p class="error" role="alert">${validation.failure}</p>` : null}
      ${error && !error.problem.errors ? html`<p class="error" role="alert">${error.message}</p>` : null}
      <div class="actions">
        <button type="submit" class="primary" disabled=${busy || !definitions}>${retry ? t('resume.rerun', { step: retry }) : t('resume.submit')}</button>
        <button type="button" onClick=${() => dialog.current?.close()}>${t('resume.close')}</button>
      </div>
    </form>
  </dialog>`
}
