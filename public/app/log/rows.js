import { plainText } from './ansi.js'

export const levels = ['debug', 'info', 'warning', 'error']

/**
 * The log's display rows, built as lines arrive: one row per line of a message (a multi-line message goes on
 * over rows of its own) and a heading row where a step's attempt (an execution) begins, so its lines can fold.
 * Arriving lines are appended to the rows already built; only a change of the level or of what is folded builds
 * them again, so a replay of 200,000 lines costs one pass over them, not one per frame.
 *
 * A line row: `{ line, text (without ANSI codes), part (0 for a message's first row), section }`;
 * a heading row: `{ heading: true, section }` where a section is `{ executionId, firstSeq, count }`.
 */
export class LogRows {
  constructor() {
    this.rows = []
    this.key = null
    this.source = null
    this.done = 0
    this.section = null
    this.version = 0
  }

  /** The rows of `lines` for a minimum level and the folded executions (a Set of ids). */
  update(lines, minLevel, folded) {
    const key = `${minLevel} ${[...folded].join(',')}`
    if (key !== this.key || lines !== this.source || lines.length < this.done) {
      this.key = key
      this.source = lines
      this.rows = []
      this.done = 0
      this.section = null
      this.version++
    }
    if (this.done === lines.length) return this.rows
    const min = levels.indexOf(minLevel)
    for (let i = this.done; i < lines.length; i++) {
      const line = lines[i]
      const executionId = line.execution_id ?? null
      if (executionId !== (this.section?.executionId ?? null)) {
        this.section = executionId === null ? null : { executionId, firstSeq: line.seq, count: 0, heading: null }
      }
      if (levels.indexOf(line.level) < min) continue
      const section = this.section
      if (section) {
        if (!section.heading) {
          section.heading = { heading: true, section }
          this.rows.push(section.heading)
        }
        section.count++
        if (folded.has(executionId)) continue
      }
      const texts = plainText(line.message).split('\n')
      for (let part = 0; part < texts.length; part++) this.rows.push({ line, text: texts[part], part, section })
    }
    this.done = lines.length
    this.version++
    return this.rows
  }
}

/** The indexes of the line rows whose text holds `query` (any case). */
export function findMatches(rows, query) {
  if (!query) return []
  const needle = query.toLowerCase()
  const found = []
  for (let i = 0; i < rows.length; i++) if (!rows[i].heading && rows[i].text.toLowerCase().includes(needle)) found.push(i)
  return found
}

/** Where `needle` occurs in `text` (any case), as [start, end) pairs. */
export function matchRanges(text, needle) {
  if (!needle) return []
  const haystack = text.toLowerCase()
  const lower = needle.toLowerCase()
  const ranges = []
  for (let at = haystack.indexOf(lower); at !== -1; at = haystack.indexOf(lower, at + lower.length)) ranges.push([at, at + lower.length])
  return ranges
}

/** The filtered log as text, one line per row, as a person would paste it into a mail. */
export function rowsAsText(rows, labelOf) {
  return rows.map((row) => (row.heading ? `== ${labelOf(row.section)}` : row.part === 0
    ? `${row.line.seq}\t${row.line.at}\t${row.line.level}\t${row.text}` : `\t\t\t${row.text}`)).join('\n')
}
