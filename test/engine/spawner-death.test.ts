import t from 'tap'
import { processIsRunning } from '../../src/remote/local/process-group.js'
import { engineFixture, execStep, type EngineFixture } from './fixture.js'

/** The number of the task's first log line "<name> <number>". */
async function loggedNumber(f: EngineFixture, taskId: number, name: string): Promise<number> {
  const line = await f.waitForEvent(taskId, (e) => e.type === 'log' && e.data.message.startsWith(`${name} `))
  return line.type === 'log' ? Number(line.data.message.split(' ')[1]) : NaN
}

// Local commands are started by a spawner process; when it dies under a running step, the step fails and says
// why — it is not run a second time, even with retries left — and the next task gets a fresh spawner.

t.test('a spawner killed under a running step fails the step once, and the next task runs', async (t) => {
  const f = engineFixture(t)
  const task = await f.createTask({
    steps: [execStep('long', 'echo "spawner $PPID"; echo "shell $$"; sleep 300', { retry: { count: 3, delay_seconds: 0 } }), execStep('after', 'true')],
  })
  await f.engine.start(task.id)
  const spawner = await loggedNumber(f, task.id, 'spawner')
  const shell = await loggedNumber(f, task.id, 'shell')
  process.kill(spawner, 'SIGKILL')

  const failed = await f.waitForStatus(task.id, 'failed')
  t.match(failed.error_message, /step long failed: connection_lost \(local\): the local command spawner \(pid \d+\) was killed by SIGKILL while the command ran; its process group \d+ was stopped/)
  const rows = await f.db.selectFrom('task_executions').selectAll().where('task_id', '=', task.id).execute()
  t.same(rows.map((r) => [r.step_name, r.status]), [['long', 'failed']], 'one attempt, no retry, no later step')
  t.notOk(processIsRunning(shell), 'the command was stopped')

  const next = await f.createTask({ steps: [execStep('echo', 'echo "spawner $PPID"')] })
  await f.engine.start(next.id)
  await f.waitForStatus(next.id, 'success')
  const fresh = await loggedNumber(f, next.id, 'spawner')
  t.ok(fresh > 1 && fresh !== spawner, 'a fresh spawner ran it')
})
