import { existsSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { engineFixture, execStep } from './fixture.js'

// Shutdown that begins while a claim is being committed: the claimed task's runner was not among those asked to
// stop, yet it must not start any step either. The task stays `running` at its first step, for recovery.

t.test('a task claimed while shutdown begins starts no step', async (t) => {
  const f = engineFixture(t)
  const ran = join(f.dir, 'ran')
  const task = await f.createTask({ steps: [execStep('first', `touch ${ran}`), execStep('second', 'true')] })
  let stopping: Promise<void> | null = null
  const unsubscribe = f.engine.bus.subscribe((e) => {
    // published once the claim commits, before its runner is launched
    if (e.task_id === task.id && e.type === 'task.status' && e.data.status === 'running') stopping ??= f.engine.shutdown(5000)
  })
  t.teardown(unsubscribe)
  await f.engine.start(task.id)
  await f.waitForEvent(task.id, (e) => e.type === 'task.status' && e.data.status === 'running')
  await stopping
  t.same(f.engine.running(), [], 'the runner stopped')
  t.notOk(existsSync(ran), 'no step ran')
  const row = await f.task(task.id)
  t.match(row, { status: 'running', resume_from_step: 'first' }, 'left running at its first step, for recovery')
  t.same(await f.db.selectFrom('task_executions').select('id').where('task_id', '=', task.id).execute(), [])
})
