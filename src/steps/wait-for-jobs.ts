import type { AbortReason, StepContext, StepImplementation, StepOutcome } from './step-type.js'
import type { BuiltInOutputValues } from '../workflows/definition.js'
import { judgeJobs, personNeeded } from './job-verdict.js'
import { numberInput, stopOutcome, WaitClock } from './wait-clock.js'

/**
 * `wait_for_jobs`: waits until every cluster job of an earlier step has completed, by the batch system's word
 * (its queue, then its history or accounting with the exit code). It runs no command of its own: the shared
 * poller of the host (src/batch/poller.ts) watches the jobs of all tasks and wakes it at each change. A job that
 * fails, is removed by someone else or is lost fails the step at once, naming it; a job held longer than
 * `held_pause_minutes` pauses the task for a person; polls that keep failing pause it with the reason.
 * Interruptible, like a file wait: pause and restarts carry the time already waited over.
 */
export const waitForJobsStep: StepImplementation<'wait_for_jobs'> = {
  type: 'wait_for_jobs',
  interruptible: true,
  run: runWaitForJobs,
}

/** Without a change, the wait re-reads its jobs this often anyway (the database is the truth). */
const RECHECK_MS = 30_000

async function runWaitForJobs(ctx: StepContext<'wait_for_jobs'>): Promise<StepOutcome> {
  const inputs = ctx.step.inputs
  const maxWaitSeconds = numberInput(ctx, 'max_wait_minutes', inputs.max_wait_minutes, 25) * 60
  const heldPauseMs = numberInput(ctx, 'held_pause_minutes', inputs.held_pause_minutes, 30) * 60_000
  const clock = new WaitClock(ctx.progress.resumed)
  const save = () => ctx.progress.save(clock.time())
  let summary = ''
  const finish = async (outcome: StepOutcome, total: number, completed: number) => {
    const outputs: BuiltInOutputValues<'wait_for_jobs'> = { total, completed, waited_seconds: clock.waited() }
    for (const [name, value] of Object.entries(outputs)) await ctx.setOutput(name, value)
    return outcome
  }

  ctx.log('info', `waiting for the cluster jobs of step ${inputs.jobs}, at most ${maxWaitSeconds / 60} min` +
    (clock.resumed ? `, continuing after ${clock.waitedBefore} s already waited` : ''))
  await save()
  for (;;) {
    if (ctx.signal.aborted) {
      clock.stop()
      await save()
      return stopOutcome(ctx.signal.reason as AbortReason, `${summary || 'no jobs read'} after ${clock.waited()} s`)
    }
    const jobs = await ctx.jobs.ofStep(inputs.jobs)
    if (jobs.length === 0) {
      ctx.log('warning', `step ${inputs.jobs} recorded no cluster jobs: nothing to wait for`)
      return finish({ status: 'success', summary: 'no jobs' }, 0, 0)
    }
    const verdict = judgeJobs(jobs, new Date(), heldPauseMs)
    if (verdict.summary !== summary) ctx.log('info', `jobs of ${inputs.jobs}: ${summary = verdict.summary}`)
    if (verdict.failure) {
      return finish({ status: 'failed', error: verdict.failure, retryable: false, summary }, verdict.total, verdict.completed)
    }
    if (verdict.allCompleted) {
      return finish({ status: 'success', summary: `all ${verdict.total} job(s) completed after ${clock.waited()} s` },
        verdict.total, verdict.completed)
    }
    const stop = personNeeded(ctx, jobs, verdict)
    if (stop) {
      clock.stop()
      await save()
      return stop
    }
    const remaining = maxWaitSeconds - clock.waited()
    if (remaining <= 0) {
      return finish({ status: 'failed', error: `gave up after ${clock.waited()} s: ${summary}`, retryable: false, summary },
        verdict.total, verdict.completed)
    }
    await ctx.jobs.changed(Math.min(RECHECK_MS, remaining * 1000, verdict.heldDeadlineMs ?? Infinity))
  }
}
