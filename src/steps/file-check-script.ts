import { randomBytes } from 'node:crypto'
import { shellJoin } from '../shell-quote.js'

/**
 * One poll of `wait_for_files` is one command: a small bash script that checks every expected name or glob and
 * every anomaly pattern in a folder and prints one result line per pattern. The same script runs on the local
 * machine and on remote hosts. Patterns arrive as quoted arguments; globs are expanded by the host's bash with
 * an empty IFS and nullglob, so names with spaces stay whole. Result lines start with a per-poll random marker,
 * so banner or .bashrc noise on stdout is ignored.
 */
const SCRIPT = `
marker=$1; dir=$2; shift 2
if ! cd -- "$dir" 2>/dev/null; then printf '%s NODIR\\n' "$marker"; exit 0; fi
shopt -s nullglob
IFS=
i=0
for arg in "$@"; do
  kind=\${arg%%:*}; pattern=\${arg#*:}
  found=
  if [ -n "$pattern" ] && { [ -e "$pattern" ] || [ -L "$pattern" ]; }; then
    found=$pattern
  else
    for match in $pattern; do
      if [ -e "$match" ] || [ -L "$match" ]; then found=$match; break; fi
    done
  fi
  if [ -n "$found" ]; then
    found=\${found//$'\\n'/?}
    printf '%s %s %d 1 %s\\n' "$marker" "$kind" "$i" "$found"
  else
    printf '%s %s %d 0\\n' "$marker" "$kind" "$i"
  fi
  i=$((i + 1))
done
printf '%s END %d\\n' "$marker" "$i"
`

export interface FileCheckRequest {
  directory: string
  files: string[]
  anomalies: string[]
}

export interface FileCheckResult {
  directoryExists: boolean
  /** Per entry of `files`: the first match, or null. */
  files: Array<string | null>
  /** Per entry of `anomalies`: the first match, or null. */
  anomalies: Array<string | null>
}

export function newMarker(): string {
  return `@@TOPUP-FILES-${randomBytes(6).toString('hex')}`
}

export function buildFileCheckCommand(marker: string, request: FileCheckRequest): string {
  const args = [marker, request.directory, ...request.files.map((f) => `F:${f}`), ...request.anomalies.map((a) => `A:${a}`)]
  return `set -- ${shellJoin(args)}${SCRIPT}`
}

/** Reads the script's result lines among any other output; throws when the output is incomplete. */
export function parseFileCheckOutput(marker: string, request: FileCheckRequest, lines: readonly string[]): FileCheckResult {
  const result: FileCheckResult = {
    directoryExists: true,
    files: request.files.map(() => null),
    anomalies: request.anomalies.map(() => null),
  }
  const expected = request.files.length + request.anomalies.length
  let ended = false
  for (const line of lines) {
    if (!line.startsWith(`${marker} `)) continue
    const rest = line.slice(marker.length + 1)
    if (rest === 'NODIR') return { ...result, directoryExists: false }
    if (rest === `END ${expected}`) { ended = true; continue }
    const m = /^([FA]) (\d+) ([01])(?: (.*))?$/s.exec(rest)
    if (!m || m[3] === '0') continue
    const index = Number(m[2])
    const name = m[4] ?? ''
    if (m[1] === 'F' && index < request.files.length) result.files[index] = name
    if (m[1] === 'A' && index >= request.files.length && index < expected) {
      result.anomalies[index - request.files.length] = name
    }
  }
  if (!ended) throw new Error('file check gave no complete answer (its end line is missing)')
  return result
}
