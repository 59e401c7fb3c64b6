import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks'
import { html } from '../html.js'
import { t } from '../i18n.js'
import { copyText } from '../log/clipboard.js'
import { linkedSeq, useLinkedSeq } from '../log/line-link.js'
import { LogRows, findMatches, levels, rowsAsText } from '../log/rows.js'
import { LogRow, ROW_PX } from './log-row.js'

const OVERSCAN = 20

/** "1.2 List runs · attempt 2" for a step's section, from the task's executions. */
function sectionLabels(executions) {
  const byId = new Map(executions.map((e) => [e.id, e]))
  return (section) => {
    const execution = byId.get(section.executionId)
    return execution ? t('log.section', { step: execution.step_display_name, attempt: execution.attempt })
      : t('log.sectionUnknown', { id: section.executionId })
  }
}

/**
 * The task's log, live. Only the rows in view (and a few around) are in the page, so a log of hundreds of
 * thousands of lines stays cheap: rows have one fixed height, a spacer gives the scroll bar its full length.
 * "Follow" keeps the newest row in view; scrolling up stops following. Each step's attempt is a section that
 * folds; the search marks its hits and steps through them; each line's number links to it (`#/tasks/12/L340`).
 */
export function LogView({ lines, version, taskId, executions = [] }) {
  const [minLevel, setMinLevel] = useState('debug')
  const [follow, setFollow] = useState(linkedSeq() === null)
  const [folded, setFolded] = useState(() => new Set())
  const [query, setQuery] = useState('')
  const [matchAt, setMatchAt] = useState(0)
  const [scrollTop, setScrollTop] = useState(0)
  const [height, setHeight] = useState(400)
  const [copied, setCopied] = useState(null)
  const box = useRef(null)
  const builder = useRef(null)
  builder.current ??= new LogRows()
  const rows = useMemo(() => builder.current.update(lines, minLevel, folded), [version, lines, lines.length, minLevel, folded])
  const rowsVersion = builder.current.version
  const matches = useMemo(() => findMatches(rows, query), [rowsVersion, query])
  const labelOf = useMemo(() => sectionLabels(executions), [executions])
  const linked = useLinkedSeq()
  const shownLink = useRef(null)

  const scrollToRow = (index) => {
    const element = box.current
    if (!element) return
    element.scrollTop = Math.max(0, index * ROW_PX - element.clientHeight / 2)
    setScrollTop(element.scrollTop)
  }
  const goToMatch = (i) => {
    if (matches.length === 0) return
    const at = (i + matches.length) % matches.length
    setMatchAt(at)
    setFollow(false)
    scrollToRow(matches[at])
  }

  useLayoutEffect(() => {
    const element = box.current
    if (element) setHeight(element.clientHeight)
    if (follow && element) {
      element.scrollTop = element.scrollHeight
      setScrollTop(element.scrollTop)
    }
  }, [rows.length, rowsVersion, follow])
  useEffect(() => {
    const resized = () => box.current && setHeight(box.current.clientHeight)
    window.addEventListener('resize', resized)
    return () => window.removeEventListener('resize', resized)
  }, [])

  // A new search shows its first hit.
  useEffect(() => { if (query) goToMatch(0) }, [query])

  // A linked line is shown once it has arrived: its section unfolded and every level shown if need be.
  useEffect(() => {
    if (linked === null || shownLink.current === linked) return
    const index = rows.findIndex((row) => !row.heading && row.part === 0 && row.line.seq === linked)
    if (index !== -1) {
      shownLink.current = linked
      setFollow(false)
      scrollToRow(index)
      return
    }
    const line = lines.find((l) => l.seq === linked)
    if (!line) return
    if (folded.has(line.execution_id)) setFolded(new Set([...folded].filter((id) => id !== line.execution_id)))
    else if (minLevel !== 'debug') setMinLevel('debug')
  }, [linked, rowsVersion])

  const onScroll = (e) => {
    const element = e.currentTarget
    setScrollTop(element.scrollTop)
    const atBottom = element.scrollHeight - element.scrollTop - element.clientHeight < ROW_PX
    if (!atBottom && follow) setFollow(false)
  }
  const onFold = (executionId) => {
    const next = new Set(folded)
    if (!next.delete(executionId)) next.add(executionId)
    setFolded(next)
  }
  const onSearchKey = (e) => {
    if (e.key !== 'Enter') return
    e.preventDefault()
    goToMatch(matchAt + (e.shiftKey ? -1 : 1))
  }
  const copy = async () => {
    const done = await copyText(rowsAsText(rows, labelOf))
    setCopied(done ? 'done' : 'failed')
    setTimeout(() => setCopied(null), 2500)
  }

  const current = matches.length > 0 ? matches[Math.min(matchAt, matches.length - 1)] : -1
  const start = Math.max(0, Math.floor(scrollTop / ROW_PX) - OVERSCAN)
  const end = Math.min(rows.length, Math.ceil((scrollTop + height) / ROW_PX) + OVERSCAN)
  const visible = []
  for (let i = start; i < end; i++) {
    const row = rows[i]
    visible.push(html`<${LogRow} key=${i} row=${row} index=${i} query=${query} current=${i === current} taskId=${taskId}
      target=${!row.heading && row.line.seq === linked} label=${row.heading ? labelOf(row.section) : null}
      folded=${row.heading && folded.has(row.section.executionId)} onFold=${onFold} />`)
  }
  return html`<section class="panel log-panel" aria-label=${t('log.title')}>
    <div class="panel-head log-tools">
      <h2>${t('log.title')}</h2>
      <label>${t('log.level')}
        <select value=${minLevel} onChange=${(e) => setMinLevel(e.currentTarget.value)} data-testid="log-level">
          ${levels.map((level) => html`<option value=${level}>${t(`level.${level}`)}</option>`)}
        </select>
      </label>
      <span class="log-search">
        <input type="search" value=${query} placeholder=${t('log.search')} aria-label=${t('log.search')}
          onInput=${(e) => setQuery(e.currentTarget.value)} onKeyDown=${onSearchKey} data-testid="log-search" />
        ${query ? html`<span class="sub" data-testid="log-matches" data-matches=${matches.length}>${matches.length === 0
          ? t('log.noMatch') : t('log.matchOf', { i: Math.min(matchAt, matches.length - 1) + 1, n: matches.length })}</span>` : null}
        <button type="button" onClick=${() => goToMatch(matchAt - 1)} disabled=${matches.length === 0}
          aria-label=${t('log.previousMatch')} data-testid="log-previous">↑</button>
        <button type="button" onClick=${() => goToMatch(matchAt + 1)} disabled=${matches.length === 0}
          aria-label=${t('log.nextMatch')} data-testid="log-next">↓</button>
      </span>
      <label><input type="checkbox" checked=${follow} onChange=${(e) => setFollow(e.currentTarget.checked)}
        data-testid="log-follow" /> ${t('log.follow')}</label>
      <button type="button" onClick=${copy} data-testid="log-copy">${copied === 'done' ? t('log.copied')
        : copied === 'failed' ? t('log.copyFailed') : t('log.copy')}</button>
      <span class="count">${t('log.count', { n: lines.length })}</span>
    </div>
    <div class="log" ref=${box} onScroll=${onScroll} data-testid="log" data-lines=${lines.length} data-rows=${rows.length}
      data-last-seq=${lines.at(-1)?.seq ?? 0} tabindex="0" aria-label=${t('log.title')}>
      ${rows.length === 0 ? html`<div class="empty">${t('log.empty')}</div>` : null}
      <div style=${`height: ${rows.length * ROW_PX}px; position: relative`}>${visible}</div>
    </div>
  </section>`
}
