import type { StepContext, StepImplementation, StepOutcome } from './step-type.js'
import type { RunResult } from '../remote/transport.js'
import { shellQuote } from '../remote/shell-quote.js'
import { isAbortError } from '../remote/abort-error.js'
import { ExecOutput } from './exec-output.js'
import { canResumeDetached, detachedInterruption, runDetachedExec } from './exec-detached.js'

/**
 * `exec`: runs one command line on the step's host, streams its lines into the task log as they come, and
 * judges it by exit code, a required marker line (genJob.sh prints DONE only when it worked) and required
 * outputs. Not interruptible: pausing waits for it to finish; cancel and timeout kill its process group. A
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
  const output = new ExecOutput(ctx.step.outputs, inputs.require_marker)
  let pgid: number | null = null
  let handleSaved: Promise<void> = Promise.resolve()

  ctx.log('info', `$ ${script.length > 2000 ? `${script.slice(0, 2000)} …` : script}`, 'command')
  const onLine = (stream: 'stdout' | 'stderr', line: string) => {
    if (stream === 'stderr') return ctx.log('warning', line, 'stderr')
    ctx.log('info', line, 'stdout')
    output.onStdout(line)
  }

  let result: RunResult
  try {
    result = inputs.detached ? await runDetachedExec(ctx, script, output, onLine) : await ctx.transport().run({
      command: script,
      signal: ctx.signal,
      onStart: (info) => {
        pgid = info.pgid
        handleSaved = ctx.setRemoteHandle(info.startTime === undefined ? { pgid } : { pgid, startTime: info.startTime })
        handleSaved.catch(() => {})
      },
      onLine,
    })
  } catch (error) {
    const interrupted = inputs.detached ? detachedInterruption(ctx, error) : null
    if (interrupted) return interrupted
    if (!isAbortError(error)) throw error
    return {
      status: 'failed',
      error: `stopped (${String(ctx.signal.reason ?? 'aborted')})${pgid === null ? '' : `: process group ${pgid} killed`}`,
      retryable: false,
    }
  } finally {
    await handleSaved
  }

  const how = result.signal !== null ? `killed by signal ${result.signal}` : `exit code ${result.exitCode}`
  const summary = `${how}, ${output.lines} stdout line(s)`
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
