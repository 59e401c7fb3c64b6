import type { StepContext, StepImplementation, StepOutcome } from './step-type.js'
import { TransportError, type RunResult } from '../remote/transport.js'
import { shellQuote } from '../shell-quote.js'
import { isAbortError, type AbortError } from '../remote/abort-error.js'
import { stopProcessGroup, type GroupTarget } from '../remote/stop-group.js'
import { ExecOutput } from './exec-output.js'
import { canResumeDetached, changedCommand, detachedInterruption, runDetachedExec } from './exec-detached.js'
import { messageOf } from '../errors.js'
import { jobLines } from './job-lines.js'
import { Frame, FramedStream } from '../remote/framing.js'

/**
 * `exec`: runs one command line on the step's host, streams its lines into the task log as they come, and
 * judges it by its output checks (fail_on, fail_on_output), exit code, a required marker line (genJob.sh prints
 * DONE only when it worked) and required outputs. Not interruptible: pausing waits for it to finish; cancel and timeout kill its process group. A
 * `detached` command, once recorded, can be left running and re-attached (exec-detached.ts).
 */
export const execStep: StepImplementation<'exec'> = {
  type: 'exec',
  interruptible: false,
  canResume: canResumeDetached,
  run: runExec,
}

async function runExec(ctx: StepContext<'exec'>): Promise<StepOutcome> {
  const inputs = ctx.step.inputs
  const script = buildScript(ctx)
  const expected = inputs.expected_exit_codes ?? [0]
  const output = new ExecOutput(ctx.step.outputs, inputs)
  // The login shell's stderr lines carry no mark: output checks read stderr only after a begin line the command
  // prints first. A detached command's streams are framed already (detached.ts), and its command must not change.
  const stderr = output.checks.active && !inputs.detached ? new FramedStream(new Frame(`stderr of step ${ctx.step.id}`)) : null
  const jobs = jobLines(ctx)
  let group: GroupTarget | null = null
  let handleSaved: Promise<void> = Promise.resolve()

  const shown = buildScript(ctx, { forLog: true })
  ctx.log('info', `$ ${shown.length > 2000 ? `${shown.slice(0, 2000)} …` : shown}`, 'command')
  const onLine = (stream: 'stdout' | 'stderr', line: string, _bytes?: number, fromLogin?: boolean) => {
    if (stream === 'stderr') {
      const opened = stderr?.opened ?? true
      const own = stderr?.isContent(line) ?? true
      if (!opened && stderr?.opened) return // the begin line itself
      ctx.log('warning', line, 'stderr')
      if (own) output.onStderr(line)
      return
    }
    // what the login shell printed is logged, but sets no output, marker or job (a .bashrc line could match them)
    const ids = fromLogin ? null : jobs?.idsOf(line) ?? null
    if (ids && jobs) ctx.jobs.logRevealed(line, 'stdout', jobs.spec, ids)
    else ctx.log('info', line, 'stdout')
    if (!fromLogin) output.onStdout(line)
  }

  if (inputs.detached) {
    const changed = await changedCommand(ctx, script)
    if (changed) return changed
  }
  let result: RunResult
  try {
    result = inputs.detached ? await runDetachedExec(ctx, script, output, onLine) : await ctx.transport().run({
      command: stderr ? `${stderr.beginCommand} >&2\n${script}` : script,
      signal: ctx.signal,
      onStart: (info) => {
        group = info.startTime === undefined ? { pgid: info.pgid } : { pgid: info.pgid, startTime: info.startTime }
        handleSaved = ctx.setRemoteHandle({ ...group })
        handleSaved.catch(() => {})
      },
      onLine,
    })
  } catch (error) {
    const interrupted = inputs.detached ? detachedInterruption(ctx, error) : null
    if (interrupted) return interrupted
    if (group && error instanceof TransportError && error.kind === 'connection_lost') return afterLostConnection(ctx, error, group)
    if (!isAbortError(error)) throw error
    return stopped(ctx, error, group)
  } finally {
    await handleSaved
  }

  const how = result.signal !== null ? `killed by signal ${result.signal}` : `exit code ${result.exitCode}`
  const summary = `${how}, ${output.lines} stdout line(s)`
  // before the exit code: the line says more than the code, and the same command would print it again
  const checkFailed = output.checks.failure()
  if (checkFailed) return { status: 'failed', error: checkFailed, retryable: false, summary }
  if (result.signal !== null || result.exitCode === null || !expected.includes(result.exitCode)) {
    const want = expected.length === 1 ? `${expected[0]}` : `one of ${expected.join(', ')}`
    return { status: 'failed', error: `command ${how} (expected exit code ${want})`, summary }
  }
  if (output.wantsMarker && !output.markerSeen) {
    return {
      status: 'failed',
      error: `required marker /${inputs.require_marker}/ never appeared in the output (${how})`,
      retryable: false,
      summary,
    }
  }
  const missing = output.capture.missing()
  if (missing.length > 0) {
    return { status: 'failed', error: `required output(s) not found in stdout: ${missing.join(', ')}`, retryable: false, summary }
  }
  for (const [name, value] of output.capture.results()) await ctx.setOutput(name, value)
  return { status: 'success', summary }
}

/** Cancel or timeout: the outcome says whether the command's process group was killed — or could not be. */
function stopped(ctx: StepContext<'exec'>, error: AbortError, group: GroupTarget | null): StepOutcome {
  const why = `stopped (${String(ctx.signal.reason ?? 'aborted')})`
  const kill = error.kill ?? (group ? { pgid: group.pgid, error: null } : null)
  if (kill?.error) {
    ctx.log('warning', `${kill.error}; it may still run`, 'engine')
    return { status: 'failed', error: `${why}: ${kill.error}`, retryable: false }
  }
  return { status: 'failed', error: `${why}${kill ? `: process group ${kill.pgid} killed` : ''}`, retryable: false }
}

/**
 * Without a terminal, sshd leaves a command running when its connection drops, so a retry would run a second
 * copy beside the first. The recorded group is stopped through a fresh connection first; when that cannot be
 * done, a person must look (the task pauses) instead of the step being retried.
 */
async function afterLostConnection(ctx: StepContext<'exec'>, error: TransportError, group: GroupTarget): Promise<StepOutcome> {
  const lost = error.describe()
  try {
    const outcome = await stopProcessGroup(ctx.transport(), group)
    const ended = outcome === 'gone' || outcome === 'reused' ? 'had already ended' : 'was killed'
    ctx.log('warning', `${lost}; process group ${group.pgid} ${ended}${error.retryable ? ' before any retry' : ''}`, 'engine')
  } catch (killError) {
    const why = messageOf(killError)
    ctx.log('warning', `${lost}; ${why}`, 'engine')
    return {
      status: 'failed', retryable: false, review: true,
      error: `${lost}; ${why}: the command may still run there, so it is not retried — check the host, then resume`,
    }
  }
  throw error
}

/**
 * The command line with its environment and working folder; every rendered value is one quoted word.
 * `forLog` hides the environment's values: they may carry credentials, and the task log is shown to users.
 */
export function buildScript(ctx: Pick<StepContext<'exec'>, 'render' | 'step'>, options: { forLog?: boolean } = {}): string {
  const { command, cwd, env } = ctx.step.inputs
  const lines: string[] = []
  for (const [name, value] of Object.entries(env ?? {})) {
    lines.push(`export ${name}=${options.forLog ? '<hidden>' : shellQuote(ctx.render(value))}`)
  }
  if (cwd !== undefined) lines.push(`cd -- ${shellQuote(ctx.render(cwd))} || exit`)
  lines.push(ctx.render(command, { shell: true }))
  return lines.join('\n')
}
