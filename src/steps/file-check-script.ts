import { shellJoin } from '../shell-quote.js'
import { Frame, FramingError } from '../remote/framing.js'

/**
 * One poll of `wait_for_files` is one command: a small bash script that checks every expected name or glob and
 * every anomaly pattern in a folder and prints, per pattern, how many files match and (as asked) the first match
 * or every match, each with its size. The same script runs on the local machine and on remote hosts. Patterns
 * arrive as quoted arguments; globs are expanded by the host's bash with an empty IFS, nullglob and extglob, so
 * names with spaces stay whole. The result lines are framed (framing.ts), so banner or .bashrc noise on stdout is
 * never taken for a result — nor for a size.
 */
const SCRIPT = `
dir=$1; sized=$2; shift 2
if ! cd -- "$dir" 2>/dev/null; then frame_put NODIR; exit 0; fi
shopt -s nullglob extglob
IFS=
i=0
for arg in "$@"; do
  head=\${arg%%:*}; pattern=\${arg#*:}
  kind=\${head:0:1}; mode=\${head:1}
  matches=()
  if [ -n "$pattern" ] && { [ -e "$pattern" ] || [ -L "$pattern" ]; }; then
    matches=("$pattern")
  else
    for match in $pattern; do
      if [ -e "$match" ] || [ -L "$match" ]; then
        matches+=("$match")
        [ "$mode" = 1 ] && break
      fi
    done
  fi
  frame_put "$kind $i \${#matches[@]}"
  if [ "$mode" != '#' ]; then
    sizes=()
    if [ "$sized" = S ] && [ "$kind" = F ] && [ \${#matches[@]} -gt 0 ]; then
      mapfile -t sizes < <(stat -L -c %s -- "\${matches[@]}" 2>/dev/null)
      if [ \${#sizes[@]} -ne \${#matches[@]} ]; then
        sizes=()
        for f in "\${matches[@]}"; do
          size=$(stat -L -c %s -- "$f" 2>/dev/null || wc -c < "$f" 2>/dev/null)
          size=\${size//[!0-9]/}
          sizes+=("\${size:--}")
        done
      fi
    fi
    j=0
    for f in "\${matches[@]}"; do
      frame_put "M \${sizes[j]:--} \${f//$'\\n'/?}"
      j=$((j + 1))
    done
  fi
  i=$((i + 1))
done
`

/**
 * How much a pattern's answer holds: `first` the first match, `all` every match (by name, for sizes), `count` only
 * how many match.
 */
export type MatchMode = 'first' | 'all' | 'count'

export interface FilePattern {
  pattern: string
  mode: MatchMode
}

export interface FileCheckRequest {
  directory: string
  files: FilePattern[]
  anomalies: string[]
  /** Whether the matches of `files` come with their sizes (a wait for stable sizes). */
  sizes: boolean
}

export interface FileMatch {
  name: string
  /** Bytes; null when not asked for or not readable (a dangling link). */
  size: number | null
}

export interface PatternResult {
  /** How many files match (at most 1 for `first`). */
  count: number
  /** The matches listed (none for `count`). */
  matches: FileMatch[]
}

export interface FileCheckResult {
  directoryExists: boolean
  /** Per entry of `files`. */
  files: PatternResult[]
  /** Per entry of `anomalies` (first match). */
  anomalies: PatternResult[]
}

const MODE_LETTER: Record<MatchMode, string> = { first: '1', all: '*', count: '#' }

export function fileCheckFrame(request: FileCheckRequest): Frame {
  return new Frame(`file check in ${request.directory}`)
}

export function buildFileCheckCommand(frame: Frame, request: FileCheckRequest): string {
  const args = [
    request.directory, request.sizes ? 'S' : '-',
    ...request.files.map((f) => `F${MODE_LETTER[f.mode]}:${f.pattern}`),
    ...request.anomalies.map((a) => `A1:${a}`),
  ]
  return `set -- ${shellJoin(args)}\n${frame.wrap(SCRIPT)}`
}

/** The result from the frame's values; throws FramingError when one is missing or malformed. */
export function parseFileCheckOutput(frame: Frame, request: FileCheckRequest, values: readonly string[]): FileCheckResult {
  const none = (): PatternResult => ({ count: 0, matches: [] })
  if (values.length === 1 && values[0] === 'NODIR') {
    return { directoryExists: false, files: request.files.map(none), anomalies: request.anomalies.map(none) }
  }
  const modes: MatchMode[] = [...request.files.map((f) => f.mode), ...request.anomalies.map((): MatchMode => 'first')]
  const results: PatternResult[] = []
  const bad = (why: string) => new FramingError(`${frame.what}: ${why}`)
  let at = 0
  modes.forEach((mode, index) => {
    const value = values[at++]
    const kind = index < request.files.length ? 'F' : 'A'
    const head = value === undefined ? null : /^([FA]) (\d+) (\d+)$/.exec(value)
    if (!head || head[1] !== kind || Number(head[2]) !== index) throw bad(`result ${index} is ${JSON.stringify(value ?? null)}`)
    const count = Number(head[3])
    if (mode === 'first' && count > 1) throw bad(`result ${index} counts ${count} first matches`)
    const matches: FileMatch[] = []
    const listed = mode === 'count' ? 0 : count
    for (let k = 0; k < listed; k++) {
      const line = values[at++]
      const m = line === undefined ? null : /^M (\d+|-) (.*)$/s.exec(line)
      if (!m) throw bad(`match ${k} of result ${index} is ${JSON.stringify(line ?? null)}`)
      matches.push({ name: m[2]!, size: m[1] === '-' ? null : Number(m[1]) })
    }
    results.push({ count, matches })
  })
  if (at !== values.length) throw bad(`${values.length - at} value(s) after the last result`)
  return { directoryExists: true, files: results.slice(0, request.files.length), anomalies: results.slice(request.files.length) }
}
