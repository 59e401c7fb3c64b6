import { randomBytes } from 'node:crypto'
import { setTimeout as delay } from 'node:timers/promises'
import { runFramed } from './framed-run.js'
import { TransportError, type RunResult, type Transport } from './transport.js'
import { AbortError, abortedAfterKill, isAbortError } from './abort-error.js'
import { shellQuote } from '../shell-quote.js'
import { stopProcessGroup } from './stop-group.js'
import { Frame, FramedStream, FramingError } from './framing.js'

/**
 * Long commands that must survive a dropped connection or a restart of the service. The command runs under
 * `setsid` (its own session, so neither the channel's end nor its signals reach it) with stdout, stderr and
 * finally the exit code written to files of a work folder on the host. A follower streams the files from a
 * byte offset until the exit file appears; when the follower is cut off, a new one starts from the offsets
 * reached. `mkdir <dir>/started` is atomic, so however often runDetached is called for one folder, the
 * command starts once.
 */
export interface DetachedHandle { dir: string; pgid: number; startTime: string }
/** Bytes of stdout and stderr already delivered. */
export interface DetachedProgress { stdout: number; stderr: number }

export interface DetachedRequest {
  command: string
  /** The work folder on the host; `~/` is the login folder. */
  dir: string
  /** cancel and timeout kill the command's process group; pause and shutdown only stop following. */
  signal: AbortSignal
  /** Each line, with the offsets reached once it is delivered (what a restart resumes from). */
  onLine?: (stream: 'stdout' | 'stderr', line: string, reached: Readonly<DetachedProgress>) => void
  resumeFrom?: DetachedProgress | null
  onProgress?: (progress: DetachedProgress) => void | Promise<void>
  onHandle?: (handle: DetachedHandle) => void | Promise<void>
  /** Follower restarts after lost connections, in a row, before giving up (default 8). */
  maxReattach?: number
  killGraceSeconds?: number
}

/** A fresh work folder name; the random part keeps ids of another (or a reset) database from meeting old runs. */
export function detachedRunDir(base: string, taskId: number, executionId: number): string {
  return `${base.replace(/\/+$/, '')}/${taskId}-${executionId}-${randomBytes(4).toString('hex')}`
}

export async function runDetached(transport: Transport, request: DetachedRequest): Promise<RunResult & { handle: DetachedHandle }> {
  const { signal } = request
  const offsets: DetachedProgress = { stdout: request.resumeFrom?.stdout ?? 0, stderr: request.resumeFrom?.stderr ?? 0 }
  const handle = await withReattach(request, () => start(transport, request)).catch(async (error: unknown) => {
    if (!stopsTheCommand(error, signal)) throw error
    // the start script may have launched the command before the abort reached it: its pid file tells
    const started = await startedGroup(transport, request.dir).catch(() => null)
    if (!started) throw error
    throw await killed(transport, started, signal, request.killGraceSeconds)
  })
  await request.onHandle?.(handle)
  let savedAt = Date.now()
  const count = (stream: 'stdout' | 'stderr', line: string, bytes: number) => {
    // the raw bytes the line took in the file ("\r", cut and invalid bytes too), so a re-attach resumes exactly
    offsets[stream] += bytes
    request.onLine?.(stream, line, offsets)
    if (request.onProgress && Date.now() - savedAt > 1000) {
      savedAt = Date.now()
      void Promise.resolve(request.onProgress({ ...offsets })).catch(() => {})
    }
  }
  try {
    await withReattach(request, async () => {
      // noise a login shell prints before the follower starts is not the command's output, nor counted in offsets
      const frame = new Frame(`following the detached command in ${request.dir}`)
      const streams = { stdout: new FramedStream(frame), stderr: new FramedStream(frame) }
      const result = await transport.run({
        command: followScript(request.dir, offsets, streams.stdout), signal,
        onLine: (stream, line, bytes) => { if (streams[stream].isContent(line)) count(stream, line, bytes) },
      })
      if ((result.exitCode === 0 || result.exitCode === 3) && !(streams.stdout.opened && streams.stderr.opened)) {
        throw new FramingError(`${frame.what}: the follower's output holds no begin line on ${streams.stdout.opened ? 'stderr' : 'stdout'}`)
      }
      if (result.exitCode === 3) {
        throw new TransportError('connection_lost', `detached command in ${request.dir} ended without an exit code (killed from outside?)`, transport.host, false)
      }
      if (result.exitCode !== 0) throw new Error(`following ${request.dir} failed: exit code ${result.exitCode}`)
    })
  } catch (error) {
    if (stopsTheCommand(error, signal)) throw await killed(transport, handle, signal, request.killGraceSeconds)
    throw error
  } finally {
    await request.onProgress?.({ ...offsets })
  }
  const code = await readExitCode(transport, request.dir)
  return { exitCode: code, signal: null, handle }
}

/** Cancel and timeout end the command itself; pause and shutdown only stop following it. */
function stopsTheCommand(error: unknown, signal: AbortSignal): boolean {
  return isAbortError(error) && (signal.reason === 'cancel' || signal.reason === 'timeout')
}

/** Stops the command's group; the AbortError to throw says whether that worked. */
async function killed(transport: Transport, group: { pgid: number; startTime: string }, signal: AbortSignal,
  graceSeconds = 2): Promise<AbortError> {
  const failure = await stopProcessGroup(transport, group, { graceMs: graceSeconds * 1000 }).then(() => null, (e: unknown) => e)
  return abortedAfterKill(signal.reason, group.pgid, failure)
}

/**
 * The group of a run whose start was cut off: null when the command never started. When the folder says it
 * started, the pid file is written by the command's own first line: it gets a moment to appear.
 */
async function startedGroup(transport: Transport, dir: string): Promise<{ pgid: number; startTime: string } | null> {
  const frame = new Frame(`looking for the started command in ${dir}`)
  const values = await framedValues(transport, frame, `cd ${quotedDir(dir)} 2>/dev/null && [ -d started ] || exit 0
for i in $(seq 40); do [ -s pid ] && break; sleep 0.05; done
[ -s pid ] && frame_put "$(cat pid)"
exit 0`, AbortSignal.timeout(30_000))
  const [group] = values
  return group === undefined ? null : groupOf(frame, group)
}

/** "<pgid> <start time>", as run.sh writes it to the pid file. */
function groupOf(frame: Frame, value: string): { pgid: number; startTime: string } {
  const m = /^(\d+) (\d+)$/.exec(value)
  if (!m) throw new FramingError(`${frame.what}: the pid file holds ${JSON.stringify(value)}, not "<pgid> <start time>"`)
  return { pgid: Number(m[1]), startTime: m[2]! }
}

/** Runs a framed script; its values, whatever else stdout held. */
async function framedValues(transport: Transport, frame: Frame, script: string, signal: AbortSignal): Promise<string[]> {
  const { result, values } = await runFramed(transport, frame, frame.wrap(script), signal)
  if (result.exitCode !== 0) throw new Error(`${frame.what} failed: exit code ${result.exitCode ?? result.signal}`)
  return values()
}

async function withReattach<T>(request: DetachedRequest, attempt: () => Promise<T>): Promise<T> {
  const max = request.maxReattach ?? 8
  for (let failures = 0; ; failures++) {
    try {
      return await attempt()
    } catch (error) {
      if (!(error instanceof TransportError) || !error.retryable || failures >= max || request.signal.aborted) throw error
      await delay(Math.min(10_000, 250 * 2 ** failures), undefined, { signal: request.signal })
        .catch(() => { throw new AbortError(request.signal.reason) })
    }
  }
}

function quotedDir(dir: string): string {
  return dir.startsWith('~/') ? `"$HOME"/${shellQuote(dir.slice(2))}` : shellQuote(dir)
}

async function start(transport: Transport, request: DetachedRequest): Promise<DetachedHandle> {
  const d = quotedDir(request.dir)
  const script = `d=${d}
mkdir -p "$d" || exit 90
if mkdir "$d/started" 2>/dev/null; then
  printf '%s\\n' ${shellQuote(request.command)} > "$d/command.sh"
  printf '%s\\n' 'read -r -a s < /proc/$$/stat; echo "$$ \${s[21]}" > pid.tmp && mv pid.tmp pid' \\
    'cd && bash "$OLDPWD/command.sh" > "$OLDPWD/stdout" 2> "$OLDPWD/stderr" < /dev/null' \\
    'echo $? > "$OLDPWD/exit.tmp" && mv "$OLDPWD/exit.tmp" "$OLDPWD/exit"' > "$d/run.sh"
  : > "$d/stdout"; : > "$d/stderr"
  # folders of runs finished long ago are no longer needed for re-attaching
  find "$(dirname "$d")" -mindepth 1 -maxdepth 1 -type d -mtime +30 -exec test -e {}/exit \; -exec rm -rf {} + 2>/dev/null
  (cd "$d" && exec setsid bash ./run.sh < /dev/null > /dev/null 2>&1 &)
fi
for i in $(seq 100); do [ -s "$d/pid" ] && break; sleep 0.05; done
[ -s "$d/pid" ] || exit 91
frame_put "$(cat "$d/pid")"`
  const frame = new Frame(`starting the detached command in ${request.dir}`)
  const values = await framedValues(transport, frame, script, request.signal)
  if (values.length !== 1) throw new FramingError(`${frame.what}: expected its process group, got ${values.length} values`)
  return { dir: request.dir, ...groupOf(frame, values[0]!) }
}

/**
 * Streams stdout (to stdout) and stderr (to stderr) from the offsets, each after the frame's begin line; exit 0
 * once the exit file exists, 3 if the command vanished.
 */
function followScript(dir: string, offsets: DetachedProgress, frame: FramedStream): string {
  return `cd ${quotedDir(dir)} || exit 2
${frame.beginCommand}; ${frame.beginCommand} >&2
read -r pg st < pid
follow=(--pid="$pg" -f -s 0.2)
if [ -f exit ]; then follow=()
else read -r -a s < /proc/$pg/stat 2>/dev/null; [ "\${s[21]}" = "$st" ] || follow=(); fi
tail -c +${offsets.stdout + 1} "\${follow[@]}" stdout 2>/dev/null &
{ tail -c +${offsets.stderr + 1} "\${follow[@]}" stderr 2>/dev/null; } >&2 &
wait
[ -f exit ] && exit 0
exit 3`
}

async function readExitCode(transport: Transport, dir: string): Promise<number> {
  const frame = new Frame(`reading the exit code of the detached command in ${dir}`)
  const [code] = await framedValues(transport, frame, `read -r code < ${quotedDir(dir)}/exit || exit 1
frame_put "$code"`, AbortSignal.timeout(60_000))
  if (code === undefined || !/^\d+$/.test(code)) throw new FramingError(`${frame.what}: the exit file holds ${JSON.stringify(code ?? '')}`)
  return Number(code)
}
