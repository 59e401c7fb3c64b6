import Anser from 'anser'

// CSI sequences (colours, cursor moves) and OSC ones (titles, links), as programs print them to a terminal.
const ESCAPES = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)/g
const hasEscape = (text) => text.includes('\x1b')

/** The text a person reads: every terminal escape removed. */
export const plainText = (text) => (hasEscape(text) ? text.replace(ESCAPES, '') : text)

function styleOf(part) {
  const styles = []
  const fg = part.fg_truecolor ?? part.fg
  const bg = part.bg_truecolor ?? part.bg
  if (fg) styles.push(`color: rgb(${fg})`)
  if (bg) styles.push(`background: rgb(${bg})`)
  for (const decoration of part.decorations) {
    if (decoration === 'bold') styles.push('font-weight: bold')
    else if (decoration === 'dim') styles.push('opacity: .7')
    else if (decoration === 'italic') styles.push('font-style: italic')
    else if (decoration === 'underline') styles.push('text-decoration: underline')
    else if (decoration === 'strikethrough') styles.push('text-decoration: line-through')
  }
  return styles.join('; ')
}

/**
 * A message's coloured pieces, one list per row (a colour goes on over a line break as in a terminal):
 * `[{ text, style }]`, style an inline CSS string or ''. Text stays text: it is rendered as such, never as HTML.
 * Parsed only for rows in view, kept on the line.
 */
export function colouredRows(line) {
  if (line.colouredRows) return line.colouredRows
  const rows = [[]]
  if (!hasEscape(line.message)) {
    line.colouredRows = line.message.split('\n').map((text) => [{ text, style: '' }])
    return line.colouredRows
  }
  for (const part of Anser.ansiToJson(line.message, { json: true, remove_empty: true })) {
    const style = styleOf(part)
    part.content.replace(ESCAPES, '').split('\n').forEach((text, i) => {
      if (i > 0) rows.push([])
      if (text !== '') rows.at(-1).push({ text, style })
    })
  }
  line.colouredRows = rows
  return rows
}
