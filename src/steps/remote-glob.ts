import type { Transport } from '../remote/transport.js'
import { shellJoin } from '../shell-quote.js'
import { newMarker } from './file-check-script.js'

/**
 * Lists the regular files matching one path or glob on a host, with their sizes, in one command. The pattern
 * arrives as a quoted argument and is expanded by the host's bash with an empty IFS and nullglob, so a name
 * with spaces or shell characters stays one name and is never run. A path that exists as written is taken
 * literally (a name containing `[` or `*`). `~/` means the login folder. Result lines start with a random
 * marker, so banner or .bashrc noise on stdout is ignored.
 */
const SCRIPT = `
marker=$1; pattern=$2
case $pattern in
  '~') pattern=$HOME ;;
  '~/'*) pattern=$HOME/\${pattern#'~/'} ;;
esac
shopt -s nullglob
IFS=
if [ -e "$pattern" ]; then set -- "$pattern"; else set -- $pattern; fi
n=0
for f in "$@"; do
  [ -f "$f" ] || continue
  case $f in *$'\\n'*) printf '%s NEWLINE\\n' "$marker"; continue ;; esac
  size=$(stat -L -c %s -- "$f" 2>/dev/null) || size=$(wc -c < "$f")
  printf '%s F %s %s\\n' "$marker" "\${size//[!0-9]/}" "$f"
  n=$((n + 1))
done
printf '%s END %d\\n' "$marker" "$n"
`

export interface RemoteMatch {
  path: string
  size: number
}

export interface GlobListing {
  files: RemoteMatch[]
  /** Matches left out because their name holds a newline (they cannot be named safely in a result line). */
  skipped: number
}

export function buildGlobCommand(marker: string, pattern: string): string {
  return `set -- ${shellJoin([marker, pattern])}${SCRIPT}`
}

export function parseGlobOutput(marker: string, lines: readonly string[]): GlobListing {
  const files: RemoteMatch[] = []
  let skipped = 0
  let end: number | null = null
  for (const line of lines) {
    if (!line.startsWith(`${marker} `)) continue
    const rest = line.slice(marker.length + 1)
    const file = /^F (\d+) (.+)$/s.exec(rest)
    if (file) files.push({ size: Number(file[1]), path: file[2]! })
    else if (rest === 'NEWLINE') skipped++
    else if (/^END \d+$/.test(rest)) end = Number(rest.slice(4))
  }
  if (end === null || end !== files.length) throw new Error('the file listing gave no complete answer (its end line is missing)')
  return { files, skipped }
}

export async function listRemoteFiles(transport: Transport, pattern: string, signal: AbortSignal,
  onNoise?: (stream: 'stdout' | 'stderr', line: string) => void): Promise<GlobListing> {
  const marker = newMarker()
  const lines: string[] = []
  const result = await transport.run({
    command: buildGlobCommand(marker, pattern),
    signal,
    onLine: (stream, line) => {
      // a banner without a final newline may precede the first result on its line
      const at = stream === 'stdout' ? line.indexOf(marker) : -1
      if (at >= 0) lines.push(line.slice(at))
      else onNoise?.(stream, line)
    },
  })
  if (result.exitCode !== 0) throw new Error(`the file listing exited with ${result.exitCode ?? result.signal}`)
  return parseGlobOutput(marker, lines)
}
