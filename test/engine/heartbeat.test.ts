import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { STALE_AFTER_BEATS } from '../../src/engine/heartbeat.js'
import { engineFixture, execStep, type EngineFixture } from './fixture.js'

// heartbeat_at is read: recovery says when a recovered task's runner last beat, and staleRunners lists the steps
// recorded as running whose runner has gone quiet. Times are given explicitly, relative to the recorded beats.

const beatMs = 1000
const at = (iso: string, ms: number) => new Date(Date.parse(iso) + ms)

/** A task left `running` by a crash during its step, last seen `agoMs` before now. */
async function crashedTask(f: EngineFixture, agoMs: number): Promise<{ taskId: number; executionId: number; beat: string }> {
  const beat = new Date(Date.now() - agoMs).toISOString()
  const task = await f.createTask({ steps: [execStep('long', 'sleep 60')] })
  await f.db.updateTable('tasks').set({ status: 'running', resume_from_step: 'long', heartbeat_at: beat }).where('id', '=', task.id).execute()
  const execution = await f.db.insertInto('task_executions').values({
    task_id: task.id, step_name: 'long', step_display_name: 'long', step_type: 'exec', step_order: 0,
    status: 'running', start_time: new Date(Date.now() - agoMs - 5000).toISOString(), heartbeat_at: beat,
  }).returning('id').executeTakeFirstOrThrow()
  return { taskId: task.id, executionId: execution.id, beat }
}

t.test('staleRunners: a running step silent for more than three beats, with or without a runner here', async (t) => {
  const f = engineFixture(t, { heartbeatMs: beatMs })
  const gone = await crashedTask(f, 0)
  t.same(await f.engine.staleRunners(at(gone.beat, (STALE_AFTER_BEATS - 1) * beatMs)), [], 'two beats missed: not yet')
  t.same(await f.engine.staleRunners(at(gone.beat, (STALE_AFTER_BEATS + 1) * beatMs)), [{
    taskId: gone.taskId, executionId: gone.executionId, stepId: 'long', lastSeen: gone.beat,
    silentSeconds: STALE_AFTER_BEATS + 1, runnerHere: false,
  }], 'four beats missed: its runner is gone')
  await f.db.updateTable('task_executions').set({ status: 'interrupted' }).where('id', '=', gone.executionId).execute()

  const gate = join(f.dir, 'go')
  const task = await f.createTask({ steps: [execStep('gated', `until [ -e ${gate} ]; do sleep 0.05; done`)] })
  await f.engine.start(task.id)
  await f.waitForEvent(task.id, (e) => e.type === 'step.started')
  const execution = await f.db.selectFrom('task_executions').selectAll().where('task_id', '=', task.id).executeTakeFirstOrThrow()
  const later = at(execution.heartbeat_at!, (STALE_AFTER_BEATS + 1) * beatMs + 60_000)
  t.match(await f.engine.staleRunners(later), [{ taskId: task.id, stepId: 'gated', runnerHere: true }],
    'a runner of this process that stopped beating would be listed as here')
  writeFileSync(gate, '')
  await f.waitForStatus(task.id, 'success')
  t.same(await f.engine.staleRunners(later), [], 'a closed execution is never stale')
})

t.test('recovery tells in the task log when the runner was last seen', async (t) => {
  const f = engineFixture(t, { heartbeatMs: beatMs })
  const crashed = await crashedTask(f, 40_000)
  const report = await f.engine.recover()
  t.same(report.paused, [crashed.taskId])
  t.same(report.lastSeen, { [crashed.taskId]: crashed.beat })
  const events = await f.events(crashed.taskId)
  const note = events.find((e) => e.type === 'log' && e.data.source === 'engine' && /interrupted by restart/.test(e.data.message))
  t.match(note, { data: { message: new RegExp(`runner last seen ${crashed.beat.replace(/\./g, '\\.')}, 4\\d s before this start$`) } })
})
