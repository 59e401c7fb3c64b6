import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { AppError } from '../../src/errors.js'
import { engineFixture, execStep, statusesOf } from './fixture.js'

const executions = (f: ReturnType<typeof engineFixture>, taskId: number) =>
  f.db.selectFrom('task_executions').selectAll().where('task_id', '=', taskId).orderBy('id').execute()

t.test('pause during a running command: pausing until it finishes, then paused; resume goes on after it', async (t) => {
  const f = engineFixture(t)
  const marks = join(f.dir, 'marks')
  const task = await f.createTask({
    steps: [execStep('first', `sleep 0.5; echo first >> ${marks}`), execStep('second', `echo second >> ${marks}`)],
  })
  await f.engine.start(task.id)
  await f.waitForEvent(task.id, (e) => e.type === 'step.started')
  const pausing = await f.engine.pause(task.id)
  t.equal(pausing.status, 'pausing', 'pause answers pausing while the step runs')
  const paused = await f.waitForStatus(task.id, 'paused')
  t.equal(paused.status_reason, 'paused on request')
  t.equal(paused.resume_from_step, 'second', 'continues after the finished step')
  t.equal(paused.progress_percentage, 50)
  t.equal(readFileSync(marks, 'utf8'), 'first\n', 'the running command was not interrupted; the next did not start')

  const resumed = await f.engine.resume(task.id)
  t.ok(['queued', 'running'].includes(resumed.status))
  await f.waitForStatus(task.id, 'success')
  t.equal(readFileSync(marks, 'utf8'), 'first\nsecond\n', 'nothing ran twice')
  t.same(statusesOf(await f.events(task.id)), ['queued', 'running', 'pausing', 'paused', 'queued', 'running', 'success'])
})

t.test('pause during a wait stops waiting at once and continues the wait on resume', async (t) => {
  const f = engineFixture(t)
  const folder = join(f.dir, 'out')
  const task = await f.createTask({
    steps: [
      execStep('make', `mkdir -p ${folder}`),
      {
        id: 'wait', display_name: 'wait', type: 'wait_for_files', host: 'local',
        inputs: { directory: folder, files: ['a.txt', 'b.txt'], poll_seconds: 0.2, max_wait_minutes: 5 },
      },
      execStep('after', 'echo done'),
    ],
  })
  await f.engine.start(task.id)
  await f.waitForEvent(task.id, (e) => e.type === 'step.started' && e.data.step_id === 'wait')
  writeFileSync(join(folder, 'a.txt'), 'a')
  // Let the wait see a.txt before pausing, so its durable progress has something to carry.
  await f.waitForEvent(task.id, (e) => e.type === 'log' && /1\/2|a\.txt/.test(e.data.message), 10_000).catch(() => null)
  const pausedAt = Date.now()
  await f.engine.pause(task.id)
  const paused = await f.waitForStatus(task.id, 'paused')
  t.ok(Date.now() - pausedAt < 30_000, 'the wait stopped at once (not at max_wait_minutes)')
  t.equal(paused.resume_from_step, 'wait')
  const [, waitRow] = await executions(f, task.id)
  t.equal(waitRow!.status, 'interrupted')
  const progress = JSON.parse(waitRow!.progress_state!) as { waited_seconds: number; polls: number }
  t.ok(progress.polls >= 1, 'its progress is kept')

  writeFileSync(join(folder, 'b.txt'), 'b')
  await f.engine.resume(task.id)
  const done = await f.waitForStatus(task.id, ['success', 'failed'])
  t.equal(done.status, 'success', done.error_message ?? '')
  const rows = await executions(f, task.id)
  t.same(rows.map((r) => [r.step_name, r.status]),
    [['make', 'success'], ['wait', 'interrupted'], ['wait', 'success'], ['after', 'success']])
  const logs = (await f.events(task.id)).flatMap((e) => e.type === 'log' ? [e.data.message] : [])
  t.ok(logs.some((m) => m.includes('continuing after')), 'the second attempt continued from the saved progress')
})

t.test('pause_after pauses for review; resume with new parameters records them and later steps use them', async (t) => {
  const f = engineFixture(t)
  const out = join(f.dir, 'out.txt')
  const task = await f.createTask({
    parameters: {
      date_param: { type: 'string', format: 'yymmdd', required: true },
      max_wait_minutes: { type: 'integer', minimum: 5, maximum: 120, default: 25 },
    },
    steps: [
      execStep('review_me', 'echo checked', { pause_after: true }),
      execStep('use', `echo {{ params.date_param }} {{ params.max_wait_minutes }} > ${out}`),
    ],
  }, { date_param: '250624' })
  await f.engine.start(task.id)
  const paused = await f.waitForStatus(task.id, 'paused')
  t.equal(paused.status_reason, 'waiting for review')

  const bad = await f.engine.resume(task.id, { parameters: { max_wait_minutes: 500 } }).catch((e: unknown) => e)
  t.ok(bad instanceof AppError && bad.code === 'invalid_parameters', 'checked against the snapshot')
  t.equal((bad as AppError).errors?.[0]?.field, 'max_wait_minutes')
  const unknown = await f.engine.resume(task.id, { retry_from_step: 'nope' }).catch((e: unknown) => e)
  t.ok(unknown instanceof AppError && unknown.code === 'unknown_step' && unknown.status === 400)
  t.equal((await f.task(task.id)).status, 'paused', 'a refused resume changes nothing')

  await f.engine.resume(task.id, { parameters: { date_param: '250701', max_wait_minutes: 40 } })
  await f.waitForStatus(task.id, 'success')
  t.equal(readFileSync(out, 'utf8'), '250701 40\n')
  const row = await f.task(task.id)
  t.equal(row.date_param, '250701')
  const params = await f.db.selectFrom('task_parameters').select(['param_name', 'param_value']).where('task_id', '=', task.id).orderBy('param_name').execute()
  t.same(params, [{ param_name: 'date_param', param_value: '250701' }, { param_name: 'max_wait_minutes', param_value: '40' }])
  const logs = (await f.events(task.id)).flatMap((e) => e.type === 'log' ? [e.data.message] : [])
  t.ok(logs.includes('parameter date_param changed: "250624" → "250701"'))
  t.ok(logs.includes('parameter max_wait_minutes changed: 25 → 40'))
})

t.test('resume with retry_from_step runs again from that step', async (t) => {
  const f = engineFixture(t)
  const marks = join(f.dir, 'marks')
  const task = await f.createTask({
    steps: [
      execStep('one', `echo one >> ${marks}`),
      execStep('two', `echo two >> ${marks}`, { pause_after: true }),
      execStep('three', `echo three >> ${marks}`),
    ],
  })
  await f.engine.start(task.id)
  await f.waitForStatus(task.id, 'paused')
  const before = (await f.engine.resume(task.id, { retry_from_step: 'one' })).last_seq
  // `two` pauses again after its second run.
  await f.waitForEvent(task.id, (e) => e.type === 'task.status' && e.data.status === 'paused' && e.seq > before)
  await f.engine.resume(task.id)
  await f.waitForStatus(task.id, 'success')
  t.equal(readFileSync(marks, 'utf8'), 'one\ntwo\none\ntwo\nthree\n')
  const logs = (await f.events(task.id)).flatMap((e) => e.type === 'log' ? [e.data.message] : [])
  t.ok(logs.includes('resuming from step one'))
})

t.test('pause_after on the last step: paused for review at 100 %, resume completes the task', async (t) => {
  const f = engineFixture(t)
  const marks = join(f.dir, 'marks')
  const task = await f.createTask({
    steps: [execStep('one', `echo one >> ${marks}`), execStep('merge', `echo merge >> ${marks}`, { pause_after: true })],
  })
  await f.engine.start(task.id)
  const paused = await f.waitForStatus(task.id, 'paused')
  t.equal(paused.status_reason, 'waiting for review')
  t.equal(paused.progress_percentage, 100)
  t.equal(paused.resume_from_step, null)
  await f.engine.resume(task.id)
  const done = await f.waitForStatus(task.id, ['success', 'failed'])
  t.equal(done.status, 'success')
  t.equal(readFileSync(marks, 'utf8'), 'one\nmerge\n', 'nothing ran again')

  // Or a person asks for the last step again.
  const second = await f.createTask({ steps: [execStep('merge', `echo again >> ${marks}`, { pause_after: true })] })
  await f.engine.start(second.id)
  await f.waitForStatus(second.id, 'paused')
  const before = (await f.engine.resume(second.id, { retry_from_step: 'merge' })).last_seq
  await f.waitForEvent(second.id, (e) => e.type === 'task.status' && e.data.status === 'paused' && e.seq > before)
  t.equal(readFileSync(marks, 'utf8'), 'one\nmerge\nagain\nagain\n')
  await f.engine.cancel(second.id)
})
