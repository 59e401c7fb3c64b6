/**
 * Finds `{{ … }}` placeholders that a command line puts inside shell quoting. The renderer single-quotes every
 * substitution, which makes a bare placeholder one literal word — but inside quotes or a substitution the added
 * quotes become part of the text or of new shell code: `echo "{{ params.x }}"` with x = `$(id)` renders
 * `echo "'$(id)'"`, which runs `id`. The scanner follows bash's quoting just far enough to tell where each
 * placeholder sits: quotes, `$'…'`, backticks, `$( … )`, `${ … }`, comments and here-document bodies.
 */
export interface QuotedPlaceholder {
  placeholder: string
  /** e.g. "inside double quotes". */
  where: string
}

type Context = 'single' | 'ansi' | 'double' | 'backtick' | 'subst' | 'arith' | 'param' | 'paren'

const WHERE: Record<Exclude<Context, 'paren'>, string> = {
  single: 'inside single quotes',
  ansi: "inside $'…' quotes",
  double: 'inside double quotes',
  backtick: 'inside backticks',
  subst: 'inside $( … )',
  arith: 'inside (( … ))',
  param: 'inside ${ … }',
}
const WORD_BREAK = new Set([' ', '\t', '\n', ';', '|', '&', '(', ')', '<', '>'])

export function quotedPlaceholders(script: string): QuotedPlaceholder[] {
  const found: QuotedPlaceholder[] = []
  const stack: Context[] = []
  const heredocs: { delimiter: string; stripTabs: boolean }[] = []
  let i = 0
  let wordStart = true

  /** Skips a placeholder at `i`, recording it when `where` is set; returns whether there was one. */
  const placeholder = (where: string | null): boolean => {
    if (!script.startsWith('{{', i)) return false
    const end = script.indexOf('}}', i + 2)
    const stop = end < 0 ? script.length : end + 2
    if (where) found.push({ placeholder: script.slice(i, stop), where })
    i = stop
    return true
  }

  while (i < script.length) {
    const top = stack.at(-1)
    const enclosing = [...stack].reverse().find((c): c is Exclude<Context, 'paren'> => c !== 'paren')
    if (placeholder(enclosing ? WHERE[enclosing] : null)) { wordStart = false; continue }
    const c = script[i]!
    const next = script[i + 1]
    // `\{{ x }}` renders \'…' (an escaped quote opens a new one) and `${{ x }}` renders $'…' (escapes decoded)
    if ((c === '\\' || c === '$') && top !== 'single' && script.startsWith('{{', i + 1)) {
      i++
      placeholder(enclosing ? WHERE[enclosing] : `right after ${c}`)
      wordStart = false
      continue
    }
    if (top === 'single') {
      if (c === "'") stack.pop()
      i++
      continue
    }
    if (top === 'ansi') {
      if (c === "'") stack.pop()
      i += c === '\\' ? 2 : 1
      continue
    }
    if (top === 'double') {
      if (c === '"') stack.pop()
      else if (c === '`') stack.push('backtick')
      else if (c === '$' && next === '(' && script[i + 2] === '(') { stack.push('arith'); i += 2 }
      else if (c === '$' && next === '(') { stack.push('subst'); i++ }
      else if (c === '$' && next === '{') { stack.push('param'); i++ }
      i += c === '\\' ? 2 : 1
      continue
    }
    // shell code: the top level, backticks, $( … ), ( … ) and ${ … }
    if (c === '\\') { i += 2; wordStart = false; continue }
    if (c === '#' && wordStart && top !== 'param' && top !== 'arith') {
      const end = script.indexOf('\n', i)
      const stop = end < 0 ? script.length : end
      for (const m of script.slice(i, stop).matchAll(/\{\{.*?(\}\}|$)/g)) found.push({ placeholder: m[0], where: 'inside a comment' })
      i = stop
      continue
    }
    if (top === 'arith' && c === ')' && next === ')') { stack.pop(); i += 2; wordStart = false; continue }
    if (c === "'") stack.push('single')
    else if (c === '"') stack.push('double')
    else if (c === '$' && next === "'") { stack.push('ansi'); i++ }
    else if (c === '$' && next === '(' && script[i + 2] === '(') { stack.push('arith'); i += 2 }
    else if (c === '(' && next === '(' && wordStart) { stack.push('arith'); i++ }
    else if (c === '$' && next === '(') { stack.push('subst'); i++ }
    else if (c === '$' && next === '{') { stack.push('param'); i++ }
    else if (c === '`') { if (top === 'backtick') stack.pop(); else stack.push('backtick') }
    else if (c === '(' && top !== 'param') stack.push('paren')
    else if (c === ')' && (top === 'subst' || top === 'paren')) stack.pop()
    else if (c === '}' && top === 'param') stack.pop()
    else if (c === '<' && next === '<' && script[i + 2] !== '<' && top !== 'arith') {
      i = readHeredocStart(script, i + 2, heredocs)
      wordStart = true
      continue
    } else if (c === '\n' && heredocs.length > 0) {
      i = skipHeredocBodies(script, i + 1, heredocs.splice(0), found)
      wordStart = true
      continue
    }
    wordStart = WORD_BREAK.has(c)
    i++
  }
  return found
}

/** Reads `[-] word` after `<<`; the body starts at the next newline. Returns the index after the word. */
function readHeredocStart(script: string, at: number, heredocs: { delimiter: string; stripTabs: boolean }[]): number {
  let i = at
  const stripTabs = script[i] === '-'
  if (stripTabs) i++
  while (script[i] === ' ' || script[i] === '\t') i++
  let delimiter = ''
  while (i < script.length && !WORD_BREAK.has(script[i]!)) {
    const c = script[i]!
    if (c === "'" || c === '"') {
      const end = script.indexOf(c, i + 1)
      const stop = end < 0 ? script.length : end
      delimiter += script.slice(i + 1, stop)
      i = stop + 1
    } else if (c === '\\') {
      delimiter += script[i + 1] ?? ''
      i += 2
    } else {
      delimiter += c
      i++
    }
  }
  if (delimiter !== '') heredocs.push({ delimiter, stripTabs })
  return i
}

/** Skips the bodies of the pending here-documents, recording any placeholder in them. */
function skipHeredocBodies(script: string, at: number, heredocs: { delimiter: string; stripTabs: boolean }[],
  found: QuotedPlaceholder[]): number {
  let i = at
  for (const { delimiter, stripTabs } of heredocs) {
    while (i < script.length) {
      const end = script.indexOf('\n', i)
      const stop = end < 0 ? script.length : end
      const line = script.slice(i, stop)
      i = stop + 1
      if ((stripTabs ? line.replace(/^\t+/, '') : line) === delimiter) break
      for (const m of line.matchAll(/\{\{.*?(\}\}|$)/g)) found.push({ placeholder: m[0], where: 'inside a here-document' })
    }
  }
  return Math.min(i, script.length)
}
