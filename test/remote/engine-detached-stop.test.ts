import t, { type Test } from 'tap'
import { setTimeout as delay } from 'node:timers/promises'
import { engineSite, runCollect, siteProvider } from './site-provider.js'
import { engineFixture, type EngineFixture } from '../engine/fixture.js'

// A detached exec through the jump that the engine stops following (pause) is left running on purpose; a later
// cancel ends it, a resume with other parameters does not silently re-attach to it (nor start a second one),
// and a kill that cannot reach the host is reported as such.
const { site, cleaner, runs, uniq, config } = await engineSite(t, 'test-stop')

function workflow(name: string, sleep: string) {
  return {
    name: `stop_${name}`,
    parameters: { tag: { type: 'string', default: 'a' } },
    steps: [{
      id: 'job', display_name: 'job', type: 'exec', host: 'target',
      inputs: {
        command: `echo run {{ params.tag }} >> ~/.topup/runs/${runs}-${name}.count; echo "line 1"; echo "line 2"; ` +
          `[ {{ params.tag }} = b ] || sleep ${sleep}; echo DONE`,
        detached: true, require_marker: '^DONE$',
      },
    }],
  }
}

/** Bounded wait until `pattern` has `count` processes on the target. */
async function processes(pattern: string, count: number): Promise<boolean> {
  for (let i = 0; i < 200; i++) {
    if (site.targetProcesses(pattern).length === count) return true
    await delay(50)
  }
  return false
}

async function pausedDuringRun(t: Test, f: EngineFixture, name: string, sleep: string): Promise<number> {
  const task = await f.createTask(workflow(name, sleep))
  t.teardown(() => { for (const pid of site.targetProcesses(`^sleep ${sleep}`)) process.kill(pid, 'SIGKILL') })
  await f.engine.start(task.id)
  await f.waitForEvent(task.id, (e) => e.type === 'log' && e.data.message === 'line 2', 30_000)
  await f.engine.pause(task.id)
  t.equal((await f.waitForStatus(task.id, ['paused', 'success', 'failed'], 10_000)).status, 'paused')
  t.ok(await processes(`^sleep ${sleep}`, 1), 'the paused detached command goes on')
  return task.id
}

t.test('cancel of a task paused during a detached command kills that command', async (t) => {
  const { provider } = siteProvider(t, site)
  const f = engineFixture(t, { transports: provider, config })
  const sleep = `3${uniq}1`
  const id = await pausedDuringRun(t, f, 'cancel', sleep)
  const done = await f.engine.cancel(id)
  t.equal(done.status, 'cancelled')
  t.ok(await processes(`^sleep ${sleep}`, 0), 'the detached command is gone from the target')
  const logs = await f.db.selectFrom('task_logs').select('message').where('task_id', '=', id).execute()
  t.ok(logs.some((l) => /^process group \d+ of step job killed$/.test(l.message)), 'the kill is in the task log')
})

t.test('resume with changed parameters does not re-attach; retry_from_step stops the old run and starts afresh', async (t) => {
  const { provider } = siteProvider(t, site)
  const f = engineFixture(t, { transports: provider, config })
  const sleep = `3${uniq}2`
  const id = await pausedDuringRun(t, f, 'changed', sleep)
  await f.engine.resume(id, { parameters: { tag: 'b' } })
  const review = await f.waitForStatus(id, ['paused', 'success', 'failed'], 30_000)
  t.equal(review.status, 'paused', 'a person must choose')
  t.match(review.status_reason, /^stopped for review: job: the command of step job is no longer the one .*retry_from_step "job"/)
  t.ok(await processes(`^sleep ${sleep}`, 1), 'the old run is neither killed nor joined by a second one')
  t.same((await runCollect(cleaner, 'target', `cat ~/.topup/runs/${runs}-changed.count`)).stdout, ['run a'])

  await f.engine.resume(id, { retry_from_step: 'job' })
  const done = await f.waitForStatus(id, ['success', 'failed', 'paused'], 30_000)
  t.equal(done.status, 'success', done.error_message ?? done.status_reason ?? '')
  t.ok(await processes(`^sleep ${sleep}`, 0), 'the old run was stopped')
  t.same((await runCollect(cleaner, 'target', `cat ~/.topup/runs/${runs}-changed.count`)).stdout, ['run a', 'run b'],
    'the new run ran the new command, once')
  const rows = await f.db.selectFrom('task_executions').select(['status', 'remote_handle']).where('task_id', '=', id).orderBy('id').execute()
  t.same(rows.map((r) => r.status), ['cancelled', 'cancelled', 'success'], 'the set-aside attempts are not continued')
  t.not(JSON.parse(rows[2]!.remote_handle!).dir, JSON.parse(rows[0]!.remote_handle!).dir, 'a fresh work folder')
})

t.test('resume with the former parameters re-attaches', async (t) => {
  const { provider } = siteProvider(t, site)
  const f = engineFixture(t, { transports: provider, config })
  const id = await pausedDuringRun(t, f, 'same', `1.${uniq}3`)
  await f.engine.resume(id, { parameters: { tag: 'a' } })
  const done = await f.waitForStatus(id, ['success', 'failed', 'paused'], 30_000)
  t.equal(done.status, 'success', done.status_reason ?? '')
  t.same((await runCollect(cleaner, 'target', `cat ~/.topup/runs/${runs}-same.count`)).stdout, ['run a'])
})

t.test('a cancel whose kill cannot reach the host says so in the step error and the log', async (t) => {
  const { provider } = siteProvider(t, site, { ssh: { killTimeoutMs: 3000 } })
  const f = engineFixture(t, { transports: provider, config })
  const sleep = `3${uniq}4`
  const task = await f.createTask(workflow('unreachable', sleep))
  t.teardown(() => { for (const pid of site.targetProcesses(`^sleep ${sleep}`)) process.kill(pid, 'SIGKILL') })
  await f.engine.start(task.id)
  await f.waitForEvent(task.id, (e) => e.type === 'log' && e.data.message === 'line 2', 30_000)
  site.kill('jump')
  t.teardown(() => site.start('jump'))
  await f.engine.cancel(task.id)
  const done = await f.waitForStatus(task.id, ['cancelled', 'failed'], 30_000)
  t.equal(done.status, 'cancelled')
  const [row] = await f.db.selectFrom('task_executions').select(['status', 'error_details']).where('task_id', '=', task.id).execute()
  t.equal(row!.status, 'cancelled')
  t.match(row!.error_details, /^stopped \(cancel\): could not kill process group \d+ on target: /)
  t.notMatch(row!.error_details, /killed$/)
  const logs = await f.db.selectFrom('task_logs').select(['level', 'message']).where('task_id', '=', task.id).execute()
  t.ok(logs.some((l) => l.level === 'warning' && /could not kill process group \d+ on target: .*it may still run/.test(l.message)))
  await site.start('jump')
  t.ok(await processes(`^sleep ${sleep}`, 1), 'it indeed still runs (the test removes it)')
})
