import { useEffect, useState } from 'preact/hooks'
import { api, get } from '../api.js'
import { html } from '../html.js'
import { t } from '../i18n.js'
import { OtherErrors, ParameterFields, errorsByField, formValues, parameterValues, useValidation } from './parameter-fields.js'

/** `#/new?workflow=<name>&date_param=250624`: the workflow and parameters the form starts with. */
function presetOf(hash) {
  const query = new URLSearchParams(hash.split('?')[1] ?? '')
  return { workflow: query.get('workflow') ?? '', parameters: Object.fromEntries([...query].filter(([k]) => k !== 'workflow')) }
}

/**
 * A new task: the form is generated from the workflow's parameters (a date picker for `yymmdd`, a select for an
 * enum, min/max for an integer, each description as help), checked by the server as it is typed, and created
 * with "start now" queued at once. A refused request keeps the server's words beside the fields.
 */
export function TaskForm() {
  const preset = presetOf(location.hash)
  const [workflows, setWorkflows] = useState(null)
  const [name, setName] = useState(preset.workflow)
  const [taskName, setTaskName] = useState('')
  const [values, setValues] = useState({})
  const [start, setStart] = useState(true)
  const [busy, setBusy] = useState(false)
  const [refusal, setRefusal] = useState(null)
  const [loadError, setLoadError] = useState(null)

  useEffect(() => {
    get('api/workflows?limit=100').then((data) => {
      setWorkflows(data.items)
      const chosen = data.items.find((w) => w.name === preset.workflow) ?? data.items.find((w) => w.runnable) ?? data.items[0]
      if (chosen) choose(chosen, preset.parameters)
    }, setLoadError)
  }, [])
  const workflow = workflows?.find((w) => w.name === name)
  const definitions = workflow?.parameters ?? {}
  const parameters = parameterValues(definitions, values)
  const validation = useValidation(workflow?.name, parameters)
  const key = JSON.stringify(parameters)
  // The refusal of the create request names the fields until they change; then the check as you type speaks again.
  const refused = refusal?.key === key ? refusal.error.problem.errors : undefined
  const errors = errorsByField(refused ?? validation?.errors)

  function choose(next, given = {}) {
    setName(next.name)
    setValues(formValues(next.parameters, given))
    setRefusal(null)
  }

  const submit = async (e) => {
    e.preventDefault()
    setBusy(true)
    setRefusal(null)
    try {
      const task = await api('POST', 'api/tasks', {
        workflow_name: name, parameters, start, ...(taskName.trim() ? { task_name: taskName.trim() } : {}),
      })
      location.hash = `#/tasks/${task.id}`
    } catch (error) {
      setRefusal({ error, key })
    } finally {
      setBusy(false)
    }
  }

  // A refusal that names no field (a duplicate task, a workflow that cannot run) is said above the button.
  const other = refusal && !refusal.error.problem.errors ? refusal.error : null
  return html`<main class="task-form">
    <p><a href="#/">← ${t('list.title')}</a></p>
    <h1>${t('form.title')}</h1>
    ${loadError ? html`<p class="error" role="alert">${loadError.message}</p>` : null}
    ${!workflows ? html`<p>${t('common.loading')}</p>` : html`<form class="panel" noValidate onSubmit=${submit} data-testid="task-form"
        data-validated=${validation?.key === key ? String(validation.valid) : 'pending'}>
      <div class="field">
        <label for="form-workflow">${t('form.workflow')}</label>
        <div class="field-input"><select id="form-workflow" value=${name} data-testid="form-workflow"
            onChange=${(e) => choose(workflows.find((w) => w.name === e.currentTarget.value))}>
          ${workflows.map((w) => html`<option value=${w.name} disabled=${!w.runnable}>${w.display_name}${w.runnable ? '' : ` (${t('form.notRunnable')})`}</option>`)}
        </select></div>
        ${workflow?.description ? html`<small class="help">${workflow.description}</small>` : null}
      </div>
      <div class="field">
        <label for="form-task-name">${t('form.taskName')}</label>
        <div class="field-input"><input id="form-task-name" type="text" maxlength="200" value=${taskName}
          placeholder=${t('form.taskNameDefault')} onInput=${(e) => setTaskName(e.currentTarget.value)} /></div>
      </div>
      <${ParameterFields} definitions=${definitions} values=${values} errors=${errors} onChange=${setValues} />
      <${OtherErrors} definitions=${definitions} errors=${errors} />
      ${validation?.failure ? html`<p class="error" role="alert">${validation.failure}</p>` : null}
      ${other ? html`<p class="error" role="alert" data-testid="form-error">${other.message}${other.problem.other_task_id
        ? html` <a href=${`#/tasks/${other.problem.other_task_id}`}>${t('form.otherTask', { id: other.problem.other_task_id })}</a>` : null}</p>` : null}
      <div class="field">
        <label for="form-start">${t('form.startNow')}</label>
        <div class="field-input"><input id="form-start" type="checkbox" checked=${start} onChange=${(e) => setStart(e.currentTarget.checked)} /></div>
        <small class="help">${t('form.startHelp')}</small>
      </div>
      <div class="actions">
        <button type="submit" class="primary" disabled=${busy || !workflow?.runnable} data-testid="form-submit">${start ? t('form.createStart') : t('form.create')}</button>
        <a href="#/">${t('form.back')}</a>
      </div>
    </form>`}
  </main>`
}
