import type { StepContext, StepImplementation, StepOutcome } from './step-type.js'
import type { RunRequest, RunResult } from '../remote/transport.js'
import { detachedRunDir, runDetached, type DetachedProgress } from '../remote/detached.js'
import { shellQuote } from '../remote/shell-quote.js'
import { isAbortError } from '../remote/abort-error.js'
import { OutputCapture, compile } from './output-capture.js'

/**
 * `exec`: runs one command line on the step's host, streams its lines into the task log as they come, and
 * judges it by exit code, a required marker line (genJob.sh prints DONE only when it worked) and required
 * outputs. Not interruptible: pausing waits for it to finish; cancel and timeout kill its process group.
 */
export const execStep: StepImplementation<'exec'> = {
  type: 'exec',
  interruptible: false,
  run: runExec,
}

async function runExec(ctx: StepContext<'exec'>): Promise<StepOutcome> {
  const inputs = ctx.step.inputs
  const script = buildScript(ctx)
  const expected = inputs.expected_exit_codes ?? [0]
  const marker = inputs.require_marker === undefined ? null : compile(inputs.require_marker, 'require_marker')
  const capture = new OutputCapture(ctx.step.outputs)
  let markerSeen = false
  let stdoutLines = 0
  let pgid: number | null = null
  let handleSaved: Promise<void> = Promise.resolve()

  ctx.log('info', `$ ${script.length > 2000 ? `${script.slice(0, 2000)} …` : script}`, 'command')

  let result: RunResult
  try {
    const run = inputs.detached ? (r: RunRequest) => runDetachedStep(ctx, r) : (r: RunRequest) => ctx.transport().run(r)
    result = await run({
      command: script,
      signal: ctx.signal,
      onStart: (info) => {
        pgid = info.pgid
        handleSaved = ctx.setRemoteHandle({ pgid: info.pgid })
        handleSaved.catch(() => {})
      },
      onLine: (stream, line) => {
        if (stream === 'stderr') return ctx.log('warning', line, 'stderr')
        stdoutLines++
        ctx.log('info', line, 'stdout')
        if (marker && !markerSeen && marker.test(line)) markerSeen = true
        capture.onLine(line)
      },
    })
  } catch (error) {
    if (!isAbortError(error)) throw error
    if (inputs.detached && (ctx.signal.reason === 'pause' || ctx.signal.reason === 'shutdown')) {
      return { status: 'interrupted', summary: 'stopped following; the detached command goes on' }
    }
    return {
      status: 'failed',
      error: `stopped (${String(ctx.signal.reason ?? 'aborted')})${pgid === null ? '' : `: process group ${pgid} killed`}`,
      retryable: false,
    }
  } finally {
    await handleSaved
  }

  const how = result.signal !== null ? `killed by signal ${result.signal}` : `exit code ${result.exitCode}`
  const summary = `${how}, ${stdoutLines} stdout line(s)`
  if (result.signal !== null || result.exitCode === null || !expected.includes(result.exitCode)) {
    const want = expected.length === 1 ? `${expected[0]}` : `one of ${expected.join(', ')}`
    return { status: 'failed', error: `command ${how} (expected exit code ${want})`, summary }
  }
  if (marker && !markerSeen) {
    return {
      status: 'failed',
      error: `required marker /${inputs.require_marker}/ never appeared in the output (${how})`,
      retryable: false,
      summary,
    }
  }
  const missing = capture.missing()
  if (missing.length > 0) {
    return { status: 'failed', error: `required output(s) not found in stdout: ${missing.join(', ')}`, retryable: false, summary }
  }
  for (const [name, value] of capture.results()) await ctx.setOutput(name, value)
  return { status: 'success', summary }
}

/** The command line with its environment and working folder; every rendered value is one quoted word. */
export function buildScript(ctx: Pick<StepContext<'exec'>, 'render' | 'step'>): string {
  const { command, cwd, env } = ctx.step.inputs
  const lines: string[] = []
  for (const [name, value] of Object.entries(env ?? {})) {
    lines.push(`export ${name}=${shellQuote(ctx.render(value))}`)
  }
  if (cwd !== undefined) lines.push(`cd -- ${shellQuote(ctx.render(cwd))} || exit`)
  lines.push(ctx.render(command, { shell: true }))
  return lines.join('\n')
}

/**
 * `detached: true`: the command runs under setsid with its output in files on the host (runDetached), so a
 * dropped connection or a restart re-attaches to the same run, from the saved offsets, instead of starting it again.
 */
async function runDetachedStep(ctx: StepContext<'exec'>, request: RunRequest): Promise<RunResult> {
  const previous = ctx.remoteHandle?.detached === true ? ctx.remoteHandle : null
  const dir = typeof previous?.dir === 'string' ? previous.dir : detachedRunDir(ctx.task.id, ctx.execution.id)
  // recorded before the start, so that a restart in between finds the same folder and cannot start it twice
  if (!previous) await ctx.setRemoteHandle({ dir, detached: true })
  const result = await runDetached(ctx.transport(), {
    command: request.command, dir, signal: request.signal,
    ...(request.onLine ? { onLine: request.onLine } : {}),
    resumeFrom: previous ? (ctx.progress.resumed as DetachedProgress | null) : null,
    onProgress: (progress) => ctx.progress.save(progress),
    // the whole handle (folder, pgid, start time) is what recovery needs; request.onStart would store only the pgid
    onHandle: (handle) => ctx.setRemoteHandle({ ...handle, detached: true }),
  })
  return { exitCode: result.exitCode, signal: result.signal }
}
