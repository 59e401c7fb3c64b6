import type { Transport } from '../remote/transport.js'
import { runFramed } from '../remote/framed-run.js'
import { shellJoin } from '../shell-quote.js'
import { Frame, FramingError } from '../remote/framing.js'

/**
 * Lists the regular files matching one path or glob on a host, with their sizes, in one command. The pattern
 * arrives as a quoted argument and is expanded by the host's bash with an empty IFS and nullglob, so a name
 * with spaces or shell characters stays one name and is never run. A path that exists as written is taken
 * literally (a name containing `[` or `*`). `~/` means the login folder. When no folder matches the pattern's
 * folder part, the listing says so (a wrong or removed path is not "no file"). The result lines are framed
 * (framing.ts), so banner or .bashrc noise on stdout is never taken for a file.
 */
const SCRIPT = `
pattern=$1
case $pattern in
  '~') pattern=$HOME ;;
  '~/'*) pattern=$HOME/\${pattern#'~/'} ;;
esac
shopt -s nullglob
IFS=
case $pattern in */*) folder=\${pattern%/*}; folder=\${folder:-/} ;; *) folder=. ;; esac
found=
if [ -d "$folder" ]; then found=1; else for d in $folder; do [ -d "$d" ] && { found=1; break; }; done; fi
[ -n "$found" ] || frame_put "NOFOLDER \${folder//$'\\n'/?}"
if [ -e "$pattern" ]; then set -- "$pattern"; else set -- $pattern; fi
for f in "$@"; do
  [ -f "$f" ] || continue
  case $f in *$'\\n'*) frame_put NEWLINE; continue ;; esac
  size=$(stat -L -c %s -- "$f" 2>/dev/null) || size=$(wc -c < "$f")
  frame_put "F \${size//[!0-9]/} $f"
done
`

export interface RemoteMatch {
  path: string
  size: number
}

export interface GlobListing {
  files: RemoteMatch[]
  /** Matches left out because their name holds a newline (they cannot be named safely in a result line). */
  skipped: number
  /** Set when no folder matches the pattern's folder part (then nothing can match: a wrong path, not "no file"). */
  missingFolder?: string
}

export function buildGlobCommand(frame: Frame, pattern: string): string {
  return `set -- ${shellJoin([pattern])}\n${frame.wrap(SCRIPT)}`
}

export function parseGlobOutput(frame: Frame, values: readonly string[]): GlobListing {
  const files: RemoteMatch[] = []
  let skipped = 0
  let missingFolder: string | undefined
  for (const value of values) {
    const file = /^F (\d+) (.+)$/s.exec(value)
    const folder = /^NOFOLDER (.+)$/s.exec(value)
    if (file) files.push({ size: Number(file[1]), path: file[2]! })
    else if (value === 'NEWLINE') skipped++
    else if (folder) missingFolder = folder[1]!
    else throw new FramingError(`${frame.what}: ${JSON.stringify(value)} is no listing line`)
  }
  return { files, skipped, ...(missingFolder === undefined ? {} : { missingFolder }) }
}

export async function listRemoteFiles(transport: Transport, pattern: string, signal: AbortSignal,
  onNoise?: (stream: 'stdout' | 'stderr', line: string) => void): Promise<GlobListing> {
  const frame = new Frame(`the file listing of ${pattern} on ${transport.host}`)
  const { result, values } = await runFramed(transport, frame, buildGlobCommand(frame, pattern), signal, onNoise)
  if (result.exitCode !== 0) throw new Error(`the file listing exited with ${result.exitCode ?? result.signal}`)
  return parseGlobOutput(frame, values())
}
