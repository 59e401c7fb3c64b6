import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { waitForFilesStep, type WaitProgress } from '../../src/steps/wait-for-files.js'
import { stepHarness } from '../helpers/step-context.js'

// A crash (SIGKILL) saves nothing more: the durable progress of a wait is what its last poll wrote. The next
// attempt counts all the time since the cut-short stretch began, so a crash never stretches max_wait_minutes.
t.test('a wait cut short by a crash continues with the time since it began, not since its last poll', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'topup-wait-crash-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const maxWaitSeconds = 1.2
  const def = { id: 'wait', display_name: 'Wait', type: 'wait_for_files' as const,
    inputs: { directory: dir, files: ['never.txt'], poll_seconds: 60, max_wait_minutes: maxWaitSeconds / 60 } }
  const first = await stepHarness(t, def)
  const began = Date.now()
  const save = first.ctx.progress.save
  let crashed = false
  first.ctx.progress.save = async (state) => {
    if (crashed) return // the process is gone: nothing after the crash reaches the database
    await save(state)
    if ((state as WaitProgress).polls >= 1) { crashed = true; first.controller.abort('shutdown') }
  }
  await waitForFilesStep.run(first.ctx)
  const saved = (await first.progressState()) as WaitProgress
  t.equal(saved.polls, 1)
  t.ok(saved.waited_seconds < maxWaitSeconds, `the last save had ${saved.waited_seconds} s waited`)
  t.type(saved.stretch_started_at, 'string', 'the stretch is still open: it was not stopped cleanly')

  // the service is down past the end of max_wait_minutes
  await delay(maxWaitSeconds * 1000 + 100)
  const second = await stepHarness(t, def, { db: first.db, taskId: first.taskId, executionId: first.executionId })
  const outcome = await waitForFilesStep.run(second.ctx)
  const waited = Date.now() - began
  t.match(outcome, { status: 'failed', retryable: false, error: /^gave up after [\d.]+ s: 1 of 1 incomplete/ })
  const final = (await second.progressState()) as WaitProgress
  t.equal(final.polls, 2, 'one poll after the restart, then it gives up')
  t.ok(final.waited_seconds_before >= maxWaitSeconds, `${final.waited_seconds_before} s carried over`)
  // waited seconds are kept to a tenth: rounding may add up to 0.05 s
  t.ok(final.waited_seconds_before <= waited / 1000 + 0.05, `no more than the time since the wait began (${waited / 1000} s)`)
  t.ok(second.logs.some((l) => /continuing after [\d.]+ s already waited/.test(l.message)))
})
