import { useEffect, useRef, useState } from 'preact/hooks'
import { api, get } from '../api.js'
import { html } from '../html.js'
import { language, t } from '../i18n.js'
import { dateTime, relativeTime } from '../format.js'
import { dayStates, monthsOf, partsOf, stateOf } from '../days.js'
import { useNow } from './status.js'

export const DAY_WORKFLOW = 'topup_standard_workflow'
const DEFAULT_ROUND = 'round18'
const locale = () => (language() === 'zh' ? 'zh-CN' : 'en-GB')

function monthTitle({ year, month }) {
  return new Intl.DateTimeFormat(locale(), { year: 'numeric', month: 'long', timeZone: 'UTC' }).format(new Date(Date.UTC(year, month - 1, 1)))
}

/** Mon … Sun in the page's language (2024-01-01 was a Monday). */
const weekdays = () => Array.from({ length: 7 }, (_, i) =>
  new Intl.DateTimeFormat(locale(), { weekday: 'short', timeZone: 'UTC' }).format(new Date(Date.UTC(2024, 0, 1 + i))))

function cellTitle(entry, state) {
  const lines = [`${entry.day}: ${t(`days.state.${state}`)}`]
  if (entry.task) lines.push(t('days.taskOf', { id: entry.task.id, status: t(`status.${entry.task.status}`), user: entry.task.user_id }))
  if (entry.task?.status_reason) lines.push(entry.task.status_reason)
  if (entry.next) lines.push(t('days.next'))
  return lines.join('\n')
}

function Month({ month, onPick }) {
  return html`<section class="month panel" aria-label=${monthTitle(month)}>
    <h2>${monthTitle(month)}</h2>
    <table class="calendar">
      <thead><tr>${weekdays().map((name) => html`<th scope="col">${name}</th>`)}</tr></thead>
      <tbody>${month.weeks.map((week) => html`<tr>${week.map((cell) => {
        if (!cell) return html`<td></td>`
        if (!cell.entry) return html`<td class="day day-nodata" data-day=${cell.day} data-state="nodata" title=${t('days.state.nodata')}>
          <span class="date">${cell.date}</span></td>`
        const state = stateOf(cell.entry)
        const { task } = cell.entry
        return html`<td class=${`day day-${state}${cell.entry.next ? ' next' : ''}`} data-day=${cell.day} data-state=${state}
          data-task-id=${task?.id} data-next=${cell.entry.next ? 'true' : undefined}>
          <button type="button" title=${cellTitle(cell.entry, state)} onClick=${() => onPick(cell.entry)}
            aria-label=${`${cell.day}: ${t(`days.state.${state}`)}${cell.entry.next ? `, ${t('days.next')}` : ''}`}>
            <span class="date">${cell.date}</span>
            ${cell.entry.next ? html`<span class="next-tag">${t('days.nextShort')}</span>` : null}
            <span class="state">${t(`days.state.${state}`)}</span>
            ${task && state === 'running' ? html`<span class="mini-progress" style=${`width: ${Math.round(task.progress_percentage)}%`}></span>` : null}
          </button>
        </td>`
      })}</tr>`)}</tbody>
    </table>
  </section>`
}

/** Asks before starting a day: a task of the standard workflow for that date, started at once. */
function StartDialog({ entry, round, onDone, onClose }) {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState(null)
  const start = async () => {
    setBusy(true)
    setError(null)
    try {
      const task = await api('POST', 'api/tasks', {
        workflow_name: DAY_WORKFLOW, task_name: t('days.taskName', { day: entry.day, round }),
        parameters: { date_param: entry.day, round }, start: true,
      })
      onDone(task)
    } catch (e) {
      setError(e)
      setBusy(false)
    }
  }
  const { year, month, date } = partsOf(entry.day)
  const when = new Intl.DateTimeFormat(locale(), { dateStyle: 'long', timeZone: 'UTC' }).format(new Date(Date.UTC(year, month - 1, date)))
  return html`<div class="confirm start-day" role="alertdialog" aria-label=${t('days.startTitle')} data-testid="start-day">
    <span>${t('days.startQuestion', { day: entry.day, when, round })}</span>
    <button type="button" class="primary" disabled=${busy} onClick=${start} data-testid="confirm-start">${t('days.start')}</button>
    <button type="button" onClick=${onClose}>${t('days.notNow')}</button>
    ${error ? html`<span class="error" role="alert">${error.message}</span>` : null}
  </div>`
}

/**
 * The days of a round as month calendars, from GET /api/days: each day coloured by what it waits for, the
 * earliest one to process marked. A day with a task opens it; one without asks and starts the standard
 * workflow for it. Kept current by the tasks feed (the site's listing is the API's cached one).
 */
export function DaysPage({ live, round = DEFAULT_ROUND }) {
  const [data, setData] = useState(null)
  const [error, setError] = useState(null)
  const [picked, setPicked] = useState(null)
  const [roundField, setRoundField] = useState(round)
  const reloadTimer = useRef(null)
  useNow(30_000)

  const load = (refresh = false) => get(`api/days?${new URLSearchParams({ round, ...(refresh ? { refresh: 'true' } : {}) })}`)
    .then((next) => { setData(next); setError(null) }, setError)
  const reloadSoon = () => {
    clearTimeout(reloadTimer.current)
    reloadTimer.current = setTimeout(load, 300)
  }
  useEffect(() => {
    setData(null)
    setRoundField(round)
    load()
    const stop = live.subscribeTasks((event) => { if (event.type === 'task.status') reloadSoon() }, reloadSoon)
    return () => { stop(); clearTimeout(reloadTimer.current) }
  }, [round])

  const pick = (entry) => {
    if (entry.task) location.hash = `#/tasks/${entry.task.id}`
    else setPicked(entry)
  }
  const changeRound = (e) => {
    e.preventDefault()
    if (/^round\d+$/.test(roundField)) location.hash = `#/days/${roundField}`
  }
  return html`<main class="days-page">
    <h1>${t('days.title')}</h1>
    <form class="filters" onSubmit=${changeRound}>
      <label>${t('days.round')} <input value=${roundField} pattern="round[0-9]+" size="9" data-testid="days-round"
        onInput=${(e) => setRoundField(e.currentTarget.value)} /></label>
      <button type="submit">${t('days.show')}</button>
      <button type="button" onClick=${() => load(true)} data-testid="days-refresh">${t('days.refresh')}</button>
      ${data ? html`<span class="count" data-testid="days-summary">${t('days.summary', { total: data.total, next: data.next_day ?? '—' })}${' · '}<span title=${dateTime(data.listed_at)}>${t('days.listed', { host: data.host, when: relativeTime(data.listed_at) })}</span></span>` : null}
    </form>
    <p class="legend">${dayStates.map((state) => html`<span class=${`key day-${state}`}>${t(`days.state.${state}`)}</span>`)}
      <span class="key next">${t('days.next')}</span></p>
    ${data?.warning ? html`<p class="reason" role="status">${data.warning}</p>` : null}
    ${error ? html`<p class="error" role="alert">${error.message}</p>` : null}
    ${picked ? html`<${StartDialog} entry=${picked} round=${round} onClose=${() => setPicked(null)}
      onDone=${(task) => { setPicked(null); location.hash = `#/tasks/${task.id}` }} />` : null}
    ${!data && !error ? html`<p>${t('common.loading')}</p>` : null}
    ${data && data.days.length === 0 ? html`<p class="empty">${t('days.none', { dir: data.raw_data_dir })}</p>` : null}
    <div class="months">${data ? monthsOf(data.days).map((month) => html`<${Month} month=${month} onPick=${pick} />`) : null}</div>
  </main>`
}
