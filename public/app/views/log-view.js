import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks'
import { html } from '../html.js'
import { t } from '../i18n.js'
import { clockTime } from '../format.js'

const levels = ['debug', 'info', 'warning', 'error']
const ROW_PX = 18
const OVERSCAN = 20

/** One display row per line of a message (a multi-line message continues on rows of its own). */
function rowsOf(lines, minLevel) {
  const min = levels.indexOf(minLevel)
  const rows = []
  for (const line of lines) {
    if (levels.indexOf(line.level) < min) continue
    line.message.split('\n').forEach((text, i) => rows.push({ line, text, first: i === 0 }))
  }
  return rows
}

/**
 * The task's log, live. Only the rows in view (and a few around) are in the page, so a long log stays cheap:
 * rows have one fixed height, a spacer gives the scroll bar its full length. "Follow" keeps the newest row in
 * view; scrolling up stops following.
 */
export function LogView({ lines, version }) {
  const [minLevel, setMinLevel] = useState('debug')
  const [follow, setFollow] = useState(true)
  const [scrollTop, setScrollTop] = useState(0)
  const [height, setHeight] = useState(400)
  const box = useRef(null)
  const rows = useMemo(() => rowsOf(lines, minLevel), [version, minLevel, lines.length])

  useLayoutEffect(() => {
    const element = box.current
    if (element) setHeight(element.clientHeight)
    if (follow && element) {
      element.scrollTop = element.scrollHeight
      setScrollTop(element.scrollTop)
    }
  }, [rows.length, follow])
  useEffect(() => {
    const resized = () => box.current && setHeight(box.current.clientHeight)
    window.addEventListener('resize', resized)
    return () => window.removeEventListener('resize', resized)
  }, [])

  const onScroll = (e) => {
    const element = e.currentTarget
    setScrollTop(element.scrollTop)
    const atBottom = element.scrollHeight - element.scrollTop - element.clientHeight < ROW_PX
    if (!atBottom && follow) setFollow(false)
  }

  const start = Math.max(0, Math.floor(scrollTop / ROW_PX) - OVERSCAN)
  const end = Math.min(rows.length, Math.ceil((scrollTop + height) / ROW_PX) + OVERSCAN)
  return html`<section class="panel log-panel" aria-label=${t('log.title')}>
    <div class="panel-head">
      <h2>${t('log.title')}</h2>
      <label>${t('log.level')}
        <select value=${minLevel} onChange=${(e) => setMinLevel(e.currentTarget.value)} data-testid="log-level">
          ${levels.map((level) => html`<option value=${level}>${t(`level.${level}`)}</option>`)}
        </select>
      </label>
      <label><input type="checkbox" checked=${follow} onChange=${(e) => setFollow(e.currentTarget.checked)}
        data-testid="log-follow" /> ${t('log.follow')}</label>
      <span class="count">${t('log.count', { n: lines.length })}</span>
    </div>
    <div class="log" ref=${box} onScroll=${onScroll} data-testid="log" data-lines=${lines.length}
      data-last-seq=${lines.at(-1)?.seq ?? 0} tabindex="0">
      ${rows.length === 0 ? html`<div class="empty">${t('log.empty')}</div>` : null}
      <div style=${`height: ${rows.length * ROW_PX}px; position: relative`}>
        ${rows.slice(start, end).map((row, i) => html`<div class=${`log-row level-${row.line.level}`}
          style=${`top: ${(start + i) * ROW_PX}px`} data-seq=${row.first ? row.line.seq : undefined}>
          <span class="log-seq">${row.first ? row.line.seq : ''}</span>
          <span class="log-time">${row.first ? clockTime(row.line.at) : ''}</span>
          <span class="log-level">${row.first ? t(`level.${row.line.level}`) : ''}</span>
          <span class="log-text">${row.text}</span>
        </div>`)}
      </div>
    </div>
  </section>`
}
