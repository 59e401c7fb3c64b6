import { shellJoin } from '../shell-quote.js'
import { Frame, FramingError } from '../remote/framing.js'

/**
 * One poll of `wait_for_files` is one command: a small bash script that checks every expected name or glob and
 * every anomaly pattern in a folder and prints one result line per pattern. The same script runs on the local
 * machine and on remote hosts. Patterns arrive as quoted arguments; globs are expanded by the host's bash with
 * an empty IFS and nullglob, so names with spaces stay whole. The result lines are framed (framing.ts), so banner
 * or .bashrc noise on stdout is never taken for a result.
 */
const SCRIPT = `
dir=$1; shift
if ! cd -- "$dir" 2>/dev/null; then frame_put NODIR; exit 0; fi
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
    frame_put "$kind $i 1 $found"
  else
    frame_put "$kind $i 0"
  fi
  i=$((i + 1))
done
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

export function fileCheckFrame(request: FileCheckRequest): Frame {
  return new Frame(`file check in ${request.directory}`)
}

export function buildFileCheckCommand(frame: Frame, request: FileCheckRequest): string {
  const args = [request.directory, ...request.files.map((f) => `F:${f}`), ...request.anomalies.map((a) => `A:${a}`)]
  return `set -- ${shellJoin(args)}\n${frame.wrap(SCRIPT)}`
}

/** The result from the frame's values; throws FramingError when one is missing or malformed. */
export function parseFileCheckOutput(frame: Frame, request: FileCheckRequest, values: readonly string[]): FileCheckResult {
  const result: FileCheckResult = {
    directoryExists: true,
    files: request.files.map(() => null),
    anomalies: request.anomalies.map(() => null),
  }
  if (values.length === 1 && values[0] === 'NODIR') return { ...result, directoryExists: false }
  const expected = request.files.length + request.anomalies.length
  if (values.length !== expected) throw new FramingError(`${frame.what}: ${values.length} results for ${expected} patterns`)
  values.forEach((value, index) => {
    const m = /^([FA]) (\d+) ([01])(?: (.*))?$/s.exec(value)
    const kind = index < request.files.length ? 'F' : 'A'
    if (!m || m[1] !== kind || Number(m[2]) !== index) throw new FramingError(`${frame.what}: result ${index} is ${JSON.stringify(value)}`)
    if (m[3] === '0') return
    if (kind === 'F') result.files[index] = m[4] ?? ''
    else result.anomalies[index - request.files.length] = m[4] ?? ''
  })
  return result
}
