import { useEffect, useRef, useState } from 'preact/hooks'
import { api } from '../api.js'
import { html } from '../html.js'
import { t } from '../i18n.js'

/** yymmdd ↔ the date input's yyyy-mm-dd (every day of data is in this century). */
export const toDateInput = (yymmdd) => (/^\d{6}$/.test(yymmdd ?? '')
  ? `20${yymmdd.slice(0, 2)}-${yymmdd.slice(2, 4)}-${yymmdd.slice(4, 6)}` : '')
export const fromDateInput = (value) => (/^\d{4}-\d{2}-\d{2}$/.test(value) ? value.slice(2).replaceAll('-', '') : '')

/** The form's values from parameters (a task's, or else each definition's default). */
export function formValues(definitions, parameters = {}) {
  return Object.fromEntries(Object.entries(definitions).map(([name, def]) => {
    const value = parameters[name] ?? def.default
    return [name, def.type === 'boolean' ? value === true : value === undefined || value === null ? '' : String(value)]
  }))
}

/**
 * The form's values as the API takes them: whole numbers of integer fields as numbers, anything else as typed (the
 * server then says what is wrong), empty fields left out (their default applies).
 */
export function parameterValues(definitions, values) {
  const out = {}
  for (const [name, def] of Object.entries(definitions)) {
    const value = values[name]
    if (value === undefined || value === '') continue
    out[name] = def.type === 'integer' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value
  }
  return out
}

/** Field errors as a map by parameter name. */
export const errorsByField = (errors = []) => Object.fromEntries(errors.map((e) => [e.field, e.message]))

/**
 * The parameters checked by the server as they are typed (`POST /api/workflows/{name}/validate`, a quarter second
 * after the last change): `{valid, errors}` of the latest values, an answer to older values being dropped.
 */
export function useValidation(workflowName, parameters) {
  const [result, setResult] = useState(null)
  const latest = useRef(0)
  const key = JSON.stringify(parameters)
  useEffect(() => {
    if (!workflowName) return undefined
    const mine = ++latest.current
    const timer = setTimeout(() => {
      api('POST', `api/workflows/${encodeURIComponent(workflowName)}/validate`, { parameters })
        .then((answer) => { if (mine === latest.current) setResult({ ...answer, key }) },
          (error) => { if (mine === latest.current) setResult({ valid: false, errors: [], failure: error.message, key }) })
    }, 250)
    return () => clearTimeout(timer)
  }, [workflowName, key])
  return result
}

function Field({ name, def, value, error, onChange }) {
  const id = `param-${name}`
  const describedBy = [def.description ? `${id}-help` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined
  const common = { id, name, 'aria-describedby': describedBy, 'aria-invalid': error ? 'true' : 'false', 'data-testid': id }
  const typed = (e) => onChange(e.currentTarget.value)
  let input
  if (def.type === 'boolean') {
    input = html`<input type="checkbox" ...${common} checked=${value} onChange=${(e) => onChange(e.currentTarget.checked)} />`
  } else if (def.type === 'enum') {
    input = html`<select ...${common} value=${value} onChange=${typed}>
      ${value === '' ? html`<option value="">${t('form.choose')}</option>` : null}
      ${def.values.map((v) => html`<option value=${v}>${v}</option>`)}
    </select>`
  } else if (def.type === 'integer') {
    input = html`<input type="number" step="1" min=${def.minimum} max=${def.maximum} ...${common} value=${value} onInput=${typed} />`
  } else if (def.format === 'yymmdd') {
    input = html`<input type="date" ...${common} value=${toDateInput(value)} onInput=${(e) => onChange(fromDateInput(e.currentTarget.value))} />
      <span class="sub">${value}</span>`
  } else {
    input = html`<input type="text" minlength=${def.min_length} maxlength=${def.max_length} ...${common} value=${value} onInput=${typed} />`
  }
  const range = def.type === 'integer' && (def.minimum !== undefined || def.maximum !== undefined)
    ? t('form.range', { min: def.minimum ?? '…', max: def.maximum ?? '…' }) : ''
  return html`<div class=${`field${error ? ' invalid' : ''}`}>
    <label class="param" for=${id}>${name}${def.required ? html` <abbr title=${t('form.required')}>*</abbr>` : null}</label>
    <div class="field-input">${input}</div>
    ${def.description || range ? html`<small id=${`${id}-help`} class="help">${def.description ?? ''}${def.description && range ? ' · ' : ''}${range}</small>` : null}
    ${error ? html`<span id=${`${id}-error`} class="field-error" data-testid=${`${id}-error`}>${error}</span>` : null}
  </div>`
}

/** One labelled input per workflow parameter, its help and the server's message beside it. */
export function ParameterFields({ definitions, values, errors, onChange }) {
  return html`<div class="fields">${Object.entries(definitions).map(([name, def]) => html`<${Field} key=${name} name=${name}
    def=${def} value=${values[name]} error=${errors[name]} onChange=${(value) => onChange({ ...values, [name]: value })} />`)}</div>`
}

/** The errors of fields the form does not show (an unknown parameter, the whole body). */
export function OtherErrors({ definitions, errors }) {
  const other = Object.entries(errors).filter(([field]) => !Object.hasOwn(definitions, field))
  if (other.length === 0) return null
  return html`<ul class="error" role="alert">${other.map(([field, message]) => html`<li>${field}: ${message}</li>`)}</ul>`
}
