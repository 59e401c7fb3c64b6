import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { Value } from 'typebox/value'
import { StepSchema } from '../../src/workflows/definition.js'
import { engineFixture, execStep } from './fixture.js'

t.test('on_failure "pause" is part of the workflow format', async (t) => {
  t.ok(Value.Check(StepSchema, execStep('check', 'true', { on_failure: 'pause' })))
  t.notOk(Value.Check(StepSchema, execStep('check', 'true', { on_failure: 'later' })))
})

t.test('on_failure "pause": a failed step pauses the task for review; resume with retry_from_step goes on', async (t) => {
  const f = engineFixture(t)
  const marks = join(f.dir, 'marks')
  const task = await f.createTask({
    steps: [
      execStep('check', `echo check >> ${marks}; echo 'IST check: 3 runs abnormal' >&2; exit 3`,
        { on_failure: 'pause', retry: { count: 1, delay_seconds: 0 } }),
      execStep('merge', `echo merge >> ${marks}`),
    ],
  })
  await f.engine.start(task.id)
  const paused = await f.waitForStatus(task.id, ['paused', 'failed', 'success'])
  t.equal(paused.status, 'paused', 'not final-failed')
  t.equal(paused.status_reason, 'stopped for review: check: command exit code 3 (expected exit code 0)')
  t.equal(paused.resume_from_step, 'check')
  t.equal(paused.completed_at, null)
  t.equal(readFileSync(marks, 'utf8'), 'check\ncheck\n', 'the retries ran first; the next step did not')
  const rows = await f.db.selectFrom('task_executions').select(['step_name', 'status']).where('task_id', '=', task.id).orderBy('id').execute()
  t.same(rows, [{ step_name: 'check', status: 'failed' }, { step_name: 'check', status: 'failed' }])

  await f.engine.resume(task.id, { retry_from_step: 'merge' })
  const done = await f.waitForStatus(task.id, ['success', 'failed', 'paused'])
  t.equal(done.status, 'success')
  t.equal(readFileSync(marks, 'utf8'), 'check\ncheck\nmerge\n')
})

t.test('on_failure "pause" with a timeout names the timeout', async (t) => {
  const f = engineFixture(t)
  const task = await f.createTask({ steps: [execStep('slow', 'sleep 5', { on_failure: 'pause', timeout_minutes: 0.005 })] })
  await f.engine.start(task.id)
  const paused = await f.waitForStatus(task.id, ['paused', 'failed'])
  t.equal(paused.status, 'paused')
  t.match(paused.status_reason, /^stopped for review: slow: timed out after/)
})
