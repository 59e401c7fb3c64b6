import t from 'tap'
import { engineFixture, execStep, statusesOf } from './fixture.js'

t.test('runs exec steps in order, records outputs and feeds them to later steps', async (t) => {
  const f = engineFixture(t)
  const task = await f.createTask({
    parameters: { who: { type: 'string', default: 'world' } },
    steps: [
      execStep('first', 'echo "value=$(( 20 + 22 ))"; echo hello {{ params.who }}',
        { outputs: { answer: { pattern: 'value=(\\d+)' } } }),
      execStep('skipped', 'echo never', { when: 'false' }),
      execStep('second', 'echo "got {{ steps.first.outputs.answer }}"'),
    ],
  })
  await f.engine.start(task.id)
  const done = await f.waitForStatus(task.id, ['success', 'failed'])
  t.equal(done.status, 'success', done.error_message ?? '')
  t.equal(done.progress_percentage, 100)
  const execs = await f.db.selectFrom('task_executions').selectAll().where('task_id', '=', task.id).orderBy('id').execute()
  t.same(execs.map((e) => [e.step_name, e.status]), [['first', 'success'], ['skipped', 'skipped'], ['second', 'success']])
  const events = await f.events(task.id)
  t.same(statusesOf(events), ['queued', 'running', 'success'])
  const logs = events.flatMap((e) => e.type === 'log' ? [e.data.message] : [])
  t.ok(logs.includes('hello world'), 'stdout lines are logged')
  t.ok(logs.includes('got 42'), 'an output of an earlier step renders into a later command')
  t.same(events.map((e) => e.seq), events.map((_, i) => i + 1), 'seq has no gaps')
})
