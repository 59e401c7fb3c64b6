import { html } from '../html.js'
import { t } from '../i18n.js'
import { clockTime } from '../format.js'
import { colouredRows } from '../log/ansi.js'
import { matchRanges } from '../log/rows.js'

export const ROW_PX = 18

/** Pieces of one row with the search's hits marked: each piece split where a hit begins or ends. */
function marked(pieces, query) {
  const ranges = matchRanges(pieces.map((p) => p.text).join(''), query)
  if (ranges.length === 0) return pieces.map((p) => (p.style ? html`<span style=${p.style}>${p.text}</span>` : p.text))
  const out = []
  let offset = 0
  for (const piece of pieces) {
    const end = offset + piece.text.length
    let at = offset
    for (const [from, to] of ranges) {
      if (to <= at || from >= end) continue
      if (from > at) out.push(html`<span style=${piece.style}>${piece.text.slice(at - offset, from - offset)}</span>`)
      const stop = Math.min(to, end)
      out.push(html`<mark style=${piece.style}>${piece.text.slice(Math.max(from, at) - offset, stop - offset)}</mark>`)
      at = stop
    }
    if (at < end) out.push(html`<span style=${piece.style}>${piece.text.slice(at - offset)}</span>`)
    offset = end
  }
  return out
}

/** A step's heading: the attempt it is, how many lines it has, and the fold toggle. */
function Heading({ row, top, label, folded, onFold }) {
  const { section } = row
  return html`<div class="log-row log-heading" style=${`top: ${top}px`} data-execution=${section.executionId}>
    <button type="button" class="link" aria-expanded=${!folded} onClick=${() => onFold(section.executionId)}
      data-testid="log-fold">${folded ? '▸' : '▾'} ${label}</button>
    <span class="sub">${t('log.sectionLines', { n: section.count })}</span>
  </div>`
}

/** One row of the log: on a message's first row its number (a link to it), time and level. */
export function LogRow({ row, index, query, current, target, taskId, label, folded, onFold }) {
  const top = index * ROW_PX
  if (row.heading) return html`<${Heading} row=${row} top=${top} label=${label} folded=${folded} onFold=${onFold} />`
  const { line, part } = row
  const pieces = colouredRows(line)[part] ?? [{ text: row.text, style: '' }]
  const classes = ['log-row', `level-${line.level}`, row.section ? 'in-section' : '', current ? 'current-match' : '',
    target && part === 0 ? 'target' : ''].filter(Boolean).join(' ')
  return html`<div class=${classes} style=${`top: ${top}px`} data-seq=${part === 0 ? line.seq : undefined}>
    ${part === 0 ? html`<a class="log-seq" href=${`#/tasks/${taskId}/L${line.seq}`} title=${t('log.linkTitle')}>${line.seq}</a>`
      : html`<span class="log-seq"></span>`}
    <span class="log-time">${part === 0 ? clockTime(line.at) : ''}</span>
    <span class="log-level">${part === 0 ? t(`level.${line.level}`) : ''}</span>
    <span class="log-text">${marked(pieces, query)}</span>
  </div>`
}
