import t from 'tap'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { engineFixture, execStep } from './fixture.js'

// What the engine gives a running step beyond its inputs: the data folder, a heartbeat, durable progress
// that is written together with the log lines it describes.

t.test('steps get DATA_DIR from the config: a download lands under <DATA_DIR>/artifacts/<task id>', async (t) => {
  const source = mkdtempSync(join(tmpdir(), 'topup-source-'))
  t.teardown(() => rmSync(source, { recursive: true, force: true }))
  writeFileSync(join(source, 'report.txt'), 'merged')
  const f = engineFixture(t)
  const task = await f.createTask({
    steps: [{ id: 'fetch', display_name: 'fetch', type: 'download', host: 'local', inputs: { path: join(source, 'report.txt') } }],
  })
  await f.engine.start(task.id)
  const done = await f.waitForStatus(task.id, ['success', 'failed'])
  t.equal(done.status, 'success', done.error_message ?? '')
  t.equal(readFileSync(join(f.dir, 'data', 'artifacts', String(task.id), 'report.txt'), 'utf8'), 'merged')
  const artifact = await f.db.selectFrom('step_outputs').select('output_path').where('task_id', '=', task.id)
    .where('output_type', '=', 'artifact').executeTakeFirstOrThrow()
  t.equal(artifact.output_path, `artifacts/${task.id}/report.txt`, 'kept relative to DATA_DIR')
})

t.test('a running step stamps heartbeat_at on its task and execution; the stamps stop with the step', async (t) => {
  const f = engineFixture(t, { heartbeatMs: 50 })
  // The step runs until the test has seen its beats, however slow the machine is.
  const gate = join(mkdtempSync(join(tmpdir(), 'topup-gate-')), 'open')
  t.teardown(() => rmSync(dirname(gate), { recursive: true, force: true }))
  const task = await f.createTask({ steps: [execStep('slow', `until [ -e ${gate} ]; do sleep 0.02; done`)] })
  await f.engine.start(task.id)
  const stamps = new Set<string>()
  for (let i = 0; i < 1500 && stamps.size < 3; i++) {
    const row = await f.db.selectFrom('task_executions').select('heartbeat_at').where('task_id', '=', task.id).executeTakeFirst()
    if (row?.heartbeat_at) stamps.add(row.heartbeat_at)
    await delay(20)
  }
  t.ok(stamps.size >= 3, 'the execution heartbeat moves while the step runs')
  t.ok((await f.task(task.id)).heartbeat_at, 'the task has one too')
  writeFileSync(gate, '')
  await f.waitForStatus(task.id, 'success')
  const execution = await f.db.selectFrom('task_executions').selectAll().where('task_id', '=', task.id).executeTakeFirstOrThrow()
  t.ok(execution.heartbeat_at! <= execution.end_time!, 'no beat after the step ended')
  const last = (await f.task(task.id)).heartbeat_at
  await delay(200)
  t.equal((await f.task(task.id)).heartbeat_at, last, 'the timer stopped')
})

t.test('progress tracked with the log is written in the transaction of the lines it describes', async (t) => {
  const f = engineFixture(t)
  const task = await f.createTask({ steps: [execStep('one', 'true')] })
  const execution = await f.db.insertInto('task_executions').values({
    task_id: task.id, step_name: 'one', step_display_name: 'one', step_type: 'exec', step_order: 0, status: 'running',
  }).returning('id').executeTakeFirstOrThrow()
  const { store } = f.engine
  const state = { lines: 0 }
  const progressOf = async () => {
    const row = await f.db.selectFrom('task_executions').select('progress_state').where('id', '=', execution.id).executeTakeFirstOrThrow()
    return row.progress_state === null ? null : JSON.parse(row.progress_state)
  }
  const logged = async () => (await f.db.selectFrom('task_logs').select('message').where('task_id', '=', task.id).execute()).length
  for (let i = 1; i <= 5; i++) {
    store.log({ taskId: task.id, executionId: execution.id, level: 'info', message: `line ${i}` })
    state.lines = i
    store.trackProgress(execution.id, () => ({ ...state }))
  }
  t.equal(await logged(), 0, 'nothing written before the batch')
  t.equal(await progressOf(), null)
  await store.flush()
  t.equal(await logged(), 5)
  t.same(await progressOf(), { lines: 5 }, 'the progress of exactly the lines written')
  store.log({ taskId: task.id, executionId: execution.id, level: 'info', message: 'line 6' })
  state.lines = 6
  store.trackProgress(execution.id, () => ({ ...state }))
  await store.commit(async () => undefined)
  t.equal(await logged(), 6, 'any commit drains the lines…')
  t.same(await progressOf(), { lines: 6 }, '…and the progress with them')
})
