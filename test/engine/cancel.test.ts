import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import t from 'tap'
import { engineFixture, execStep, statusesOf } from './fixture.js'

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return !/^\d+ \(.*\) [ZX]/.test(stat)
  } catch {
    return false
  }
}

async function readPids(file: string, count: number): Promise<number[]> {
  for (let i = 0; i < 200; i++) {
    if (existsSync(file)) {
      const pids = readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map(Number)
      if (pids.length >= count) return pids
    }
    await delay(25)
  }
  throw new Error(`${file} never listed ${count} pids`)
}

t.test('cancel of a running local command kills its whole process tree', async (t) => {
  const f = engineFixture(t)
  const pidFile = join(f.dir, 'pids')
  const after = join(f.dir, 'after')
  // A shell with two background children and a grandchild, all recording their pids.
  const command = `echo $$ >> ${pidFile}; (sleep 60 & echo $! >> ${pidFile}; wait) & sleep 60 & echo $! >> ${pidFile}; wait`
  const task = await f.createTask({ steps: [execStep('tree', command), execStep('after', `touch ${after}`)] })
  await f.engine.start(task.id)
  const pids = await readPids(pidFile, 3)
  t.ok(pids.every(alive), 'the tree runs')

  const cancelling = await f.engine.cancel(task.id)
  t.equal(cancelling.status, 'cancelling', 'cancel answers cancelling while the step is stopped')
  const done = await f.waitForStatus(task.id, 'cancelled')
  t.ok(done.completed_at)
  t.same(pids.filter(alive), [], 'every process of the tree is gone')
  const [row] = await f.db.selectFrom('task_executions').selectAll().where('task_id', '=', task.id).execute()
  t.equal(row!.status, 'cancelled')
  t.ok(JSON.parse(row!.remote_handle!).pgid > 1, 'the process group was recorded')
  t.notOk(existsSync(after), 'no later step ran')
  t.same(statusesOf(await f.events(task.id)), ['queued', 'running', 'cancelling', 'cancelled'])
  await t.rejects(f.engine.cancel(task.id), { code: 'invalid_transition' }, 'cancelled is final')
  await t.rejects(f.engine.start(task.id), { code: 'invalid_transition' })
})

t.test('cancel during a wait and during a retry delay stops at once', async (t) => {
  const f = engineFixture(t)
  const wait = await f.createTask({
    steps: [{
      id: 'wait', display_name: 'wait', type: 'wait_for_files', host: 'local',
      inputs: { directory: f.dir, files: ['never.txt'], poll_seconds: 0.2, max_wait_minutes: 5 },
    }],
  })
  const flaky = await f.createTask({ steps: [execStep('flaky', 'exit 1', { retry: { count: 5, delay_seconds: 60 } })] })
  await f.engine.start(wait.id)
  await f.engine.start(flaky.id)
  await f.waitForEvent(wait.id, (e) => e.type === 'step.started')
  await f.waitForEvent(flaky.id, (e) => e.type === 'step.retry')
  const started = Date.now()
  await f.engine.cancel(wait.id)
  await f.engine.cancel(flaky.id)
  await f.waitForStatus(wait.id, 'cancelled')
  await f.waitForStatus(flaky.id, 'cancelled')
  t.ok(Date.now() - started < 30_000, 'neither waited for its timer (60 s retry delay, 5 min wait)')
  const rows = await f.db.selectFrom('task_executions').select(['task_id', 'status']).orderBy('id').execute()
  t.same(rows, [{ task_id: wait.id, status: 'cancelled' }, { task_id: flaky.id, status: 'failed' }])
})

t.test('pause then cancel while a command runs: cancel wins and kills it', async (t) => {
  const f = engineFixture(t)
  const task = await f.createTask({ steps: [execStep('long', 'sleep 60')] })
  await f.engine.start(task.id)
  await f.waitForEvent(task.id, (e) => e.type === 'step.started')
  t.equal((await f.engine.pause(task.id)).status, 'pausing')
  t.equal((await f.engine.cancel(task.id)).status, 'cancelling')
  await f.waitForStatus(task.id, 'cancelled', 10_000)
  t.pass('cancelled')
})
