import { createHash } from 'node:crypto'
import type { AttemptState, StepContext, StepOutcome } from './step-type.js'
import type { RunResult } from '../remote/transport.js'
import { TransportError } from '../remote/transport.js'
import { isAbortError } from '../remote/abort-error.js'
import { detachedRunDir, runDetached, type DetachedProgress } from '../remote/detached.js'
import type { ExecOutput, ExecOutputState } from './exec-output.js'

/**
 * `exec` with `detached: true`: the command runs under setsid with its output in files on the host
 * (runDetached), so a pause, a shutdown, a dropped connection or a restart of the service only stops following
 * it; the next attempt re-attaches to the same run from the offsets reached and the command runs once.
 */

/** The durable progress of a detached exec: byte offsets of stdout/stderr and what its stdout told so far. */
export interface DetachedExecProgress extends DetachedProgress {
  output: ExecOutputState
}

/** The handle of a detached run: its folder, the sha256 of the command it runs, then its pgid and start time. */
interface RecordedRun { dir: string; detached: true; commandHash?: string; [key: string]: unknown }

export function commandHash(command: string): string {
  return createHash('sha256').update(command).digest('hex')
}

/** An attempt can be continued once its work folder is recorded beside its offsets (both come before the start). */
export function canResumeDetached(state: AttemptState): boolean {
  return recordedRun(state.remoteHandle) !== null && offsetsOf(state.progress) !== null
}

export async function runDetachedExec(
  ctx: StepContext<'exec'>, command: string, output: ExecOutput,
  onLine: (stream: 'stdout' | 'stderr', line: string) => void,
): Promise<RunResult> {
  const previous = resumedRun(ctx)
  const resumed = previous ? offsetsOf(ctx.progress.resumed) : null
  const hash = previous ? previous.commandHash : commandHash(command)
  const dir = previous?.dir ?? detachedRunDir(ctx.remoteRunsDir, ctx.task.id, ctx.execution.id)
  const offsets: DetachedProgress = { stdout: resumed?.stdout ?? 0, stderr: resumed?.stderr ?? 0 }
  output.restore(resumed?.output)
  const snapshot = (): DetachedExecProgress => ({ ...offsets, output: output.snapshot() })
  // The offsets first, then the folder, both before the start: whenever a restart comes, it finds the same
  // folder (which starts its command once) and offsets that match the lines already in the log.
  await ctx.progress.save(snapshot())
  await ctx.setRemoteHandle(previous ?? { dir, detached: true, commandHash: hash })
  if (previous) ctx.log('info', `re-attaching to the detached command in ${dir} (stdout from byte ${offsets.stdout})`)
  const result = await runDetached(ctx.transport(), {
    command, dir, signal: ctx.signal,
    resumeFrom: resumed ? { stdout: resumed.stdout, stderr: resumed.stderr } : null,
    onLine: (stream, line, reached) => {
      offsets.stdout = reached.stdout
      offsets.stderr = reached.stderr
      onLine(stream, line)
      ctx.progress.saveWithLog(snapshot)
    },
    // the whole handle (folder, pgid, start time) is what cancel and recovery need
    onHandle: (handle) => ctx.setRemoteHandle({ ...handle, detached: true, ...(hash === undefined ? {} : { commandHash: hash }) }),
  })
  return { exitCode: result.exitCode, signal: result.signal }
}

/**
 * A run is re-attached only while the command is the one it was started with: after a resume with other
 * parameters it is not, and running the new command silently would leave the old one going beside it. The
 * attempt then keeps the run's record (so that a later resume can still continue it, and retry_from_step stop
 * it) and the task pauses for a person to choose. Runs recorded without a hash are re-attached as before.
 */
export async function changedCommand(ctx: StepContext<'exec'>, command: string): Promise<StepOutcome | null> {
  const previous = resumedRun(ctx)
  if (!previous || previous.commandHash === undefined || previous.commandHash === commandHash(command)) return null
  await ctx.progress.save(ctx.progress.resumed)
  await ctx.setRemoteHandle(previous)
  const error = `the command of step ${ctx.step.id} is no longer the one its detached run in ${previous.dir} was started with ` +
    `(were the parameters changed?), so that run was not re-attached and may still be going. Resume with retry_from_step ` +
    `"${ctx.step.id}" to stop it and start the step afresh, or resume with the former parameters to continue it`
  ctx.log('warning', error, 'engine')
  return { status: 'interrupted', error, review: true, summary: 'not re-attached: the command changed' }
}

function resumedRun(ctx: StepContext<'exec'>): RecordedRun | null {
  const resumable = canResumeDetached({ remoteHandle: ctx.remoteHandle, progress: ctx.progress.resumed })
  return resumable ? recordedRun(ctx.remoteHandle) : null
}

/**
 * A detached command that was only stopped being followed goes on by itself: pause, shutdown and a connection
 * that failed (after runDetached's own re-attach attempts) end the attempt as `interrupted`, to be continued.
 */
export function detachedInterruption(ctx: StepContext<'exec'>, error: unknown): StepOutcome | null {
  if (isAbortError(error) || ctx.signal.aborted) {
    const reason = ctx.signal.reason
    if (reason !== 'pause' && reason !== 'shutdown') return null
    return { status: 'interrupted', summary: `stopped following (${reason}); the detached command goes on` }
  }
  if (error instanceof TransportError && error.retryable) {
    const text = error.describe()
    ctx.log('warning', `lost the detached command's output: ${text}; it goes on and is re-attached by the next attempt`)
    return { status: 'interrupted', error: text, summary: 'connection lost; the detached command goes on' }
  }
  return null
}

function recordedRun(handle: Record<string, unknown> | null): RecordedRun | null {
  return handle?.detached === true && typeof handle.dir === 'string' ? handle as RecordedRun : null
}

function offsetsOf(progress: unknown): DetachedExecProgress | null {
  const p = progress as Partial<DetachedExecProgress> | null
  if (typeof p?.stdout !== 'number' || typeof p.stderr !== 'number') return null
  return { stdout: p.stdout, stderr: p.stderr, output: p.output ?? { lines: 0, marker: false, captured: {} } }
}
