import t from 'tap'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { processIsRunning, processStartTime, waitForGroupExit } from '../../src/remote/local/process-group.js'
import { engineFixture, execStep, type EngineFixture } from './fixture.js'

// Recovery stops the orphaned command of an interrupted step through its recorded process group, and the
// recorded start time of the group leader keeps it from signalling a process that merely got the same pid.

async function sleeper(t: { teardown(fn: () => unknown): void }): Promise<number> {
  const child = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' })
  await once(child, 'spawn')
  const pid = child.pid!
  t.teardown(() => { try { process.kill(-pid, 'SIGKILL') } catch { /* gone */ } })
  return pid
}

/** A task left `running` by a crash in the middle of its exec step, whose execution recorded `handle`. */
async function crashedTask(f: EngineFixture, handle: Record<string, unknown>): Promise<number> {
  const task = await f.createTask({ steps: [execStep('long', 'sleep 60')] })
  await f.db.updateTable('tasks').set({ status: 'running', resume_from_step: 'long' }).where('id', '=', task.id).execute()
  await f.db.insertInto('task_executions').values({
    task_id: task.id, step_name: 'long', step_display_name: 'long', step_type: 'exec', step_order: 0,
    status: 'running', remote_handle: JSON.stringify(handle),
  }).execute()
  return task.id
}

t.test('recovery kills the recorded group only when its leader is still the recorded process', async (t) => {
  const f = engineFixture(t)
  const same = await sleeper(t)
  const other = await sleeper(t)
  const a = await crashedTask(f, { pgid: same, startTime: processStartTime(same) })
  const b = await crashedTask(f, { pgid: other, startTime: String(Number(processStartTime(other)) + 1) })
  const report = await f.engine.recover()
  t.same(report.paused.sort(), [a, b].sort(), 'a plain command interrupted by the crash pauses its task')
  t.ok(await waitForGroupExit(same, 5000), 'the orphan whose start time matches was killed')
  t.ok(processIsRunning(other), 'a process with another start time was left alone')
})
