import { setTimeout as delay } from 'node:timers/promises'
import { runFramed } from '../remote/framed-run.js'
import type { AbortReason, StepContext, StepImplementation, StepOutcome } from './step-type.js'
import { isAbortError } from '../remote/abort-error.js'
import { TransportError } from '../remote/transport.js'
import type { BuiltInOutputValues } from '../workflows/definition.js'
import { buildFileCheckCommand, fileCheckFrame, parseFileCheckOutput, type FileCheckRequest } from './file-check-script.js'
import { historyOf, judgePoll, planWait, type Item, type Judgement, type SizeHistory } from './file-needs.js'
import { messageOf } from '../errors.js'
import { judgeJobs, personNeeded } from './job-verdict.js'
import { numberInput, stopOutcome, WaitClock, type WaitTime } from './wait-clock.js'

/**
 * `wait_for_files`: polls until every expected file exists, one command per poll for the whole list. With
 * `for_each` the file list is expanded once per item (six files per run number) and completeness is judged per
 * item; an entry may also ask for a number of files matching a glob (hist files per job of a run), and
 * `stable_polls` counts a file only once its size has held still (file-needs.ts). An anomaly file fails the step
 * at once. With `jobs` it also waits until that step's cluster jobs have completed (the batch system's word, not
 * the files): a failed job fails it at once, a job held too long pauses the task for a person. Interruptible:
 * pause and shutdown stop the wait at once, and the time already waited, kept as durable progress (with the
 * sizes seen), carries over when it continues.
 */
export const waitForFilesStep: StepImplementation<'wait_for_files'> = {
  type: 'wait_for_files',
  interruptible: true,
  run: runWait,
}

/** What a file wait keeps as durable progress: its time (wait-clock.ts), its polls, what was complete, the sizes seen. */
export interface WaitProgress extends WaitTime {
  polls: number
  complete: string[]
  sizes?: SizeHistory
}

const MAX_POLL_FAILURES = 3
/** Polls after every job completed in which missing files still fail the wait (a shared disk may lag a little). */
const POLLS_AFTER_JOBS = 2

async function runWait(ctx: StepContext<'wait_for_files'>): Promise<StepOutcome> {
  const inputs = ctx.step.inputs
  const pollSeconds = Math.max(0.2, numberInput(ctx, 'poll_seconds', inputs.poll_seconds, 30))
  const maxWaitSeconds = numberInput(ctx, 'max_wait_minutes', inputs.max_wait_minutes, 25) * 60
  const heldPauseMs = numberInput(ctx, 'held_pause_minutes', inputs.held_pause_minutes, 30) * 60_000
  const plan = planWait(ctx)
  const { items, request } = plan
  const clock = new WaitClock(ctx.progress.resumed)
  const resumed = ctx.progress.resumed as Partial<WaitProgress> | null
  const progress: Required<Pick<WaitProgress, 'polls' | 'complete'>> & Pick<WaitProgress, 'sizes'> = {
    polls: clock.resumed && typeof resumed?.polls === 'number' ? resumed.polls : 0,
    complete: clock.resumed && Array.isArray(resumed?.complete) ? resumed.complete : [],
    ...(plan.stablePolls > 1 ? { sizes: clock.resumed ? historyOf(resumed?.sizes) : {} } : {}),
  }
  let incomplete: Judgement['incomplete'] = items.filter((it) => !progress.complete.includes(it.key)).map((it) => ({ key: it.key, detail: null }))
  const save = () => ctx.progress.save({ ...clock.time(), ...progress } satisfies WaitProgress)
  const state = () => `${progress.complete.length}/${items.length} complete after ${clock.waited()} s`
  const stopped = async (): Promise<StepOutcome> => {
    clock.stop()
    await save()
    return stopOutcome(ctx.signal.reason as AbortReason, state())
  }
  const finish = () => record(ctx, items, progress.complete, clock.waited())

  ctx.log('info', `waiting for ${items.length} item(s) in ${request.directory}` +
    (inputs.jobs ? ` and for the cluster jobs of step ${inputs.jobs}` : '') +
    (plan.stablePolls > 1 ? `, each file once its size held in ${plan.stablePolls} polls in a row` : '') +
    (clock.resumed ? `, continuing after ${clock.waitedBefore} s already waited` : '') +
    `; poll every ${pollSeconds} s, at most ${maxWaitSeconds / 60} min`)
  if (items.length === 0) ctx.log('warning', 'nothing to wait for: the list of items is empty')
  await save()
  let failures = 0
  let lastLogged = ''
  let lastJobs = ''
  let pollsAfterJobs = 0
  for (;;) {
    if (ctx.signal.aborted) return stopped()
    let judged: Judgement | null = null
    let anomaly: string | null = null
    try {
      const check = await poll(ctx, request)
      if (!check.directoryExists && progress.polls === 0) ctx.log('info', `${request.directory} does not exist yet`)
      judged = judgePoll(plan, check, progress.sizes ?? {})
      anomaly = check.anomalies.find((r) => r.count > 0)?.matches[0]?.name ?? null
      failures = 0
    } catch (error) {
      if (isAbortError(error) || ctx.signal.aborted) return stopped()
      // a wrong password or host key will not be right at the next poll
      if (++failures >= MAX_POLL_FAILURES || (error instanceof TransportError && !error.retryable)) throw error
      ctx.log('warning', `file check failed (${failures}/${MAX_POLL_FAILURES}): ${messageOf(error)}`)
    }
    progress.polls++
    if (judged) {
      progress.complete = judged.complete
      incomplete = judged.incomplete
      if (progress.sizes) progress.sizes = judged.history
    }
    await save()
    if (anomaly !== null) {
      await finish()
      return { status: 'failed', error: `anomaly file ${anomaly} appeared in ${request.directory}: the data needs a person's review`, retryable: false }
    }
    if (judged?.over) {
      await finish()
      return { status: 'failed', retryable: false, error: `more files than expected in ${request.directory}: ${judged.over}` }
    }
    const progressLine = `${progress.complete.length}/${items.length} complete` +
      (incomplete.length ? `; waiting for ${preview(incomplete)}` : '')
    if (judged && progressLine !== lastLogged) ctx.log('info', lastLogged = progressLine)
    let jobsDone = true
    let heldDeadlineMs = Infinity
    if (inputs.jobs !== undefined) {
      const jobs = await ctx.jobs.ofStep(inputs.jobs)
      // none recorded (the step was skipped: the files of an earlier run are re-used): the files alone decide
      if (jobs.length === 0 && progress.polls === 1) ctx.log('info', `step ${inputs.jobs} recorded no cluster jobs: waiting for the files alone`)
      const verdict = judgeJobs(jobs, new Date(), heldPauseMs)
      if (verdict.summary !== lastJobs) ctx.log('info', `jobs of ${inputs.jobs}: ${lastJobs = verdict.summary}`)
      if (verdict.failure) {
        await finish()
        return { status: 'failed', error: verdict.failure, retryable: false, summary: verdict.summary }
      }
      const stop = personNeeded(ctx, jobs, verdict)
      if (stop) {
        clock.stop()
        await save()
        return stop
      }
      jobsDone = verdict.allCompleted
      heldDeadlineMs = verdict.heldDeadlineMs ?? Infinity
      // a file that appeared with the last job may need its stable_polls before it counts
      if (jobs.length > 0 && jobsDone && incomplete.length > 0 && ++pollsAfterJobs > POLLS_AFTER_JOBS + plan.stablePolls - 1) {
        await finish()
        return {
          status: 'failed', retryable: false, summary: `${progress.complete.length}/${items.length} complete`,
          error: `all ${verdict.total} job(s) of ${inputs.jobs} completed, but ${incomplete.length} of ${items.length} item(s) are incomplete: ${preview(incomplete)}`,
        }
      }
    }
    if (incomplete.length === 0 && jobsDone) {
      await finish()
      return { status: 'success', summary: `all ${items.length} item(s) complete after ${clock.waited()} s` }
    }
    const remaining = maxWaitSeconds - clock.waited()
    if (remaining <= 0) {
      await finish()
      // not retryable: a retry would start the whole wait again from 0 s (max wait × retries in all)
      return {
        status: 'failed',
        error: `gave up after ${clock.waited()} s: ${incomplete.length} of ${items.length} incomplete` +
          (incomplete.length ? `: ${preview(incomplete)}` : `; jobs of ${inputs.jobs}: ${lastJobs}`),
        summary: `${progress.complete.length}/${items.length} complete`,
        retryable: false,
      }
    }
    const pause = Math.min(pollSeconds * 1000, remaining * 1000, heldDeadlineMs)
    if (inputs.jobs !== undefined) await ctx.jobs.changed(pause)
    else {
      try {
        await delay(pause, undefined, { signal: ctx.signal })
      } catch {
        return stopped()
      }
    }
  }
}

async function poll(ctx: StepContext<'wait_for_files'>, request: FileCheckRequest) {
  const frame = fileCheckFrame(request)
  const { result, values } = await runFramed(ctx.transport(), frame, buildFileCheckCommand(frame, request), ctx.signal,
    (stream, line) => { if (stream === 'stderr') ctx.log('debug', line, 'stderr') })
  if (result.exitCode !== 0) throw new Error(`file check exited with ${result.exitCode ?? result.signal}`)
  return parseFileCheckOutput(frame, request, values())
}

async function record(ctx: StepContext<'wait_for_files'>, items: Item[], complete: string[], waited: number) {
  const outputs: BuiltInOutputValues<'wait_for_files'> = {
    total: items.length,
    complete,
    incomplete: items.map((it) => it.key).filter((k) => !complete.includes(k)),
    waited_seconds: waited,
  }
  for (const [name, value] of Object.entries(outputs)) await ctx.setOutput(name, value)
}

/** The first 20 incomplete items, each with what it lacks when that is known ("10002 (12/40 hist files)"). */
function preview(incomplete: Judgement['incomplete']): string {
  const shown = incomplete.slice(0, 20).map((it) => it.detail === null ? it.key : `${it.key} (${it.detail})`).join(', ')
  return incomplete.length <= 20 ? shown : `${shown} … (+${incomplete.length - 20})`
}

