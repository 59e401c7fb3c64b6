import t from 'tap'
import type { TaskDetail } from '../../src/cli/api-types.js'
import { exitCodeOf } from '../../src/cli/follow.js'
import { languageOf, translator } from '../../src/cli/messages.js'
import { displayWidth, Output, truncate } from '../../src/cli/output.js'
import { typedParameters } from '../../src/cli/parameters.js'
import { TaskProgress } from '../../src/cli/progress-panel.js'

t.test('-p values take the type of the workflow parameter; what does not read as it stays text', async (t) => {
  const types = { runs: { type: 'integer' }, submit_job: { type: 'boolean' }, date_param: { type: 'string' } }
  t.same(typedParameters(types, [['runs', '4'], ['submit_job', 'false'], ['date_param', '250624']]),
    { runs: 4, submit_job: false, date_param: '250624' })
  t.same(typedParameters(types, [['runs', '4.5'], ['submit_job', 'no'], ['other', '1']]),
    { runs: '4.5', submit_job: 'no', other: '1' }, 'left for the server to refuse with its own message')
  t.same(typedParameters(types, [['runs', '99999999999999999999']]), { runs: '99999999999999999999' })
})

t.test('the language follows LC_ALL, then LC_MESSAGES, then LANG', async (t) => {
  t.equal(languageOf({ LANG: 'zh_CN.UTF-8' }), 'zh')
  t.equal(languageOf({ LANG: 'zh_CN.UTF-8', LC_ALL: 'C' }), 'en')
  t.equal(languageOf({ LANG: 'C', LC_MESSAGES: 'zh_TW' }), 'zh')
  t.equal(languageOf({}), 'en')
})

t.test('exit codes: 0 success, 1 failed or cancelled, 2 review, 3 another pause', async (t) => {
  t.equal(exitCodeOf({ status: 'success', reason: null }), 0)
  t.equal(exitCodeOf({ status: 'failed', reason: 'step x failed' }), 1)
  t.equal(exitCodeOf({ status: 'cancelled', reason: null }), 1)
  t.equal(exitCodeOf({ status: 'paused', reason: 'waiting for review: look at the IST plot' }), 2)
  t.equal(exitCodeOf({ status: 'paused', reason: 'paused on request' }), 3)
  t.equal(exitCodeOf({ status: 'paused', reason: 'stopped for review: check: bad run 3' }), 3)
})

t.test('Chinese text is two columns wide; a cut keeps within the width', async (t) => {
  t.equal(displayWidth('任务 12'), 7)
  t.equal(truncate('步骤步骤步骤', 7), '步骤步…')
  t.ok(displayWidth(truncate('步骤步骤步骤', 7)) <= 7)
})

t.test('the panel: a bar per step from its jobs, a window around the current step when the terminal is short', async (t) => {
  const steps = Array.from({ length: 12 }, (_, i) => ({
    step_id: `s${i}`, display_name: `step ${i}`, type: 'exec', order: i + 1, status: i < 5 ? 'success' : 'pending',
    attempts: i < 5 ? 1 : 0, start_time: null, end_time: null, duration_seconds: null, error: null,
  }))
  const task = { id: 7, status: 'running', progress_percentage: 40, steps } as unknown as TaskDetail
  const progress = new TaskProgress(task)
  const at = '2025-06-24T08:00:00.000Z'
  progress.apply({ task_id: 7, seq: 1, at, type: 'step.started', data: { execution_id: 1, step_id: 's5', attempt: 1 } })
  for (const [job, state] of [['1.0', 'completed'], ['2.0', 'running'], ['3.0', 'completed'], ['4.0', 'queued']]) {
    progress.apply({ task_id: 7, seq: 2, at, type: 'job.state', data: {
      job_id: job!, host: 'h', system: 'hepjob', step_id: 's5', execution_id: 1, state: state as 'queued', previous: null, reason: null, exit_code: null,
    } })
  }
  const out = new Output(process.stdout, process.stderr, { NO_COLOR: '1' }, false, translator('en'))
  const lines = progress.lines(out, out.t, 60, 8)
  t.equal(lines.length, 8)
  t.equal(lines[0], '… 4 earlier steps')
  t.equal(lines[1], `✓ step 4  ${'█'.repeat(20)}`)
  t.equal(lines[2], `▶ step 5  ${'█'.repeat(10)}${'░'.repeat(10)} 2/4 jobs, running`, 'the current step: half its jobs completed')
  t.equal(lines[3], `· step 6  ${'░'.repeat(20)}`)
  t.equal(lines[6], '… 3 later steps')
  t.match(lines[7], /^task 7 running 40% █{8}░{12}$/)
  t.ok(lines.every((line) => displayWidth(line) <= 60))
})
