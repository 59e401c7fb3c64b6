import t from 'tap'
import { setTimeout as delay } from 'node:timers/promises'
import { engineSite, siteProvider } from './site-provider.js'
import { engineFixture } from '../engine/fixture.js'

// Without a terminal, sshd leaves a command running when its connection drops: before a plain (not detached)
// exec is retried after connection_lost, its first copy is killed through a fresh connection — or, when the
// host cannot be reached for that, the task pauses instead of running a second copy beside the first.
const { site, runs, uniq } = await engineSite(t, 'test-lost')

/** The first run hangs in a findable sleep; a second run ends at once. */
function workflow(name: string, sleep: string) {
  const count = `~/.topup/runs/${runs}-${name}.count`
  return {
    name: `lost_${name}`,
    steps: [{
      id: 'job', display_name: 'job', type: 'exec', host: 'target', retry: { count: 1, delay_seconds: 0 },
      inputs: { command: `mkdir -p ~/.topup/runs; echo run >> ${count}; echo up; [ "$(wc -l < ${count})" -ge 2 ] || sleep ${sleep}` },
    }],
  }
}

async function processes(pattern: string, count: number): Promise<boolean> {
  for (let i = 0; i < 200; i++) {
    if (site.targetProcesses(pattern).length === count) return true
    await delay(50)
  }
  return false
}

t.test('connection lost mid-command: the first copy is killed before the retry', async (t) => {
  const { provider } = siteProvider(t, site)
  const f = engineFixture(t, { transports: provider })
  const sleep = `3${uniq}1`
  t.teardown(() => { for (const pid of site.targetProcesses(`^sleep ${sleep}`)) process.kill(pid, 'SIGKILL') })
  const task = await f.createTask(workflow('retry', sleep))
  let dropped = false
  t.teardown(f.engine.bus.subscribe((e) => {
    if (e.task_id === task.id && e.type === 'log' && e.data.message === 'up' && !dropped) { dropped = true; site.dropConnections() }
  }))
  await f.engine.start(task.id)
  const done = await f.waitForStatus(task.id, ['success', 'failed', 'paused'], 60_000)
  t.ok(dropped)
  t.equal(done.status, 'success', done.error_message ?? done.status_reason ?? '')
  t.ok(await processes(`^sleep ${sleep}`, 0), 'no first copy left running beside the retry')
  const logs = await f.db.selectFrom('task_logs').select('message').where('task_id', '=', task.id).execute()
  t.ok(logs.some((l) => /^connection_lost .*process group \d+ was killed before any retry$/.test(l.message)))
  const rows = await f.db.selectFrom('task_executions').select('status').where('task_id', '=', task.id).orderBy('id').execute()
  t.same(rows.map((r) => r.status), ['failed', 'success'])
})

t.test('connection lost and the host unreachable: the task pauses instead of retrying', async (t) => {
  const { provider } = siteProvider(t, site, { ssh: { killTimeoutMs: 3000 } })
  const f = engineFixture(t, { transports: provider })
  const sleep = `3${uniq}2`
  t.teardown(() => { for (const pid of site.targetProcesses(`^sleep ${sleep}`)) process.kill(pid, 'SIGKILL') })
  t.teardown(() => site.start('jump'))
  const task = await f.createTask(workflow('paused', sleep))
  let killed = false
  t.teardown(f.engine.bus.subscribe((e) => {
    if (e.task_id === task.id && e.type === 'log' && e.data.message === 'up' && !killed) { killed = true; site.kill('jump') }
  }))
  await f.engine.start(task.id)
  const done = await f.waitForStatus(task.id, ['success', 'failed', 'paused'], 60_000)
  t.equal(done.status, 'paused')
  t.match(done.status_reason, /^stopped for review: job: connection_lost .*could not kill process group \d+ on target: .*not retried/)
  const rows = await f.db.selectFrom('task_executions').select('status').where('task_id', '=', task.id).execute()
  t.same(rows.map((r) => r.status), ['failed'], 'no second attempt')
  await site.start('jump')
  t.ok(await processes(`^sleep ${sleep}`, 1), 'the first copy indeed still runs (the test removes it)')
})
