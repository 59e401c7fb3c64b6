import { sql } from 'kysely'
import t from 'tap'
import type { TaskEvent } from '../../src/domain.js'
import { engineFixture, execStep, statusesOf } from './fixture.js'

t.test('runs exec steps in order, records outputs and feeds them to later steps', async (t) => {
  const f = engineFixture(t)
  const task = await f.createTask({
    parameters: { who: { type: 'string', default: 'world' } },
    steps: [
      execStep('first', 'echo "value=$(( 20 + 22 ))"; echo hello {{ params.who }}',
        { outputs: { answer: { pattern: 'value=(\\d+)' } } }),
      execStep('skipped', 'echo never', { when: 'false' }),
      execStep('second', 'echo got {{ steps.first.outputs.answer }}'),
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

t.test('a runner failure (a database fault) closes the execution and publishes step.finished', async (t) => {
  const f = engineFixture(t)
  // A fault only where the runner records a finished attempt: the close after it must still get through.
  await sql`CREATE TRIGGER refuse_success BEFORE UPDATE OF status ON task_executions WHEN NEW.status = 'success'
    BEGIN SELECT RAISE(ABORT, 'disk on fire'); END`.execute(f.db)
  const task = await f.createTask({ steps: [execStep('first', 'true'), execStep('second', 'true')] })
  const live: TaskEvent[] = []
  t.teardown(f.engine.bus.subscribe((e) => { if (e.task_id === task.id && e.type.startsWith('step.')) live.push(e) }))
  await f.engine.start(task.id)
  const done = await f.waitForStatus(task.id, ['success', 'failed'])
  await f.engine.idle()
  t.equal(done.status, 'failed')
  t.match(done.error_message, /^internal error: .*disk on fire/)
  const [execution, ...others] = await f.db.selectFrom('task_executions').selectAll().where('task_id', '=', task.id).execute()
  t.same(others, [], 'no later step started')
  t.match(execution, { step_name: 'first', status: 'failed', error_details: done.error_message })
  t.ok(execution!.end_time, 'closed')
  t.type(execution!.duration_seconds, 'number', 'with its duration')
  const finished = (events: TaskEvent[]) => events.filter((e) => e.type === 'step.finished')
  t.match(finished(await f.events(task.id)), [{ data: { execution_id: execution!.id, step_id: 'first', status: 'failed' } }],
    'step.finished is stored')
  t.same(live.map((e) => e.type), ['step.started', 'step.finished'], 'and was published: no client keeps the step running')
})
