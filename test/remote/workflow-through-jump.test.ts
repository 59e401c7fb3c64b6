import t from 'tap'
import { readFileSync } from 'node:fs'
import { startSshSite } from '../helpers/ssh-site.js'
import { siteProvider } from './site-provider.js'
import { engineFixture } from '../engine/fixture.js'

const site = await startSshSite(t)

t.test('a fixture workflow runs end to end on the target through the jump', async (t) => {
  const { provider } = siteProvider(t, site)
  const f = engineFixture(t, { transports: provider })
  const workflow = JSON.parse(readFileSync(new URL('../fixtures/workflows/remote-through-jump.json', import.meta.url), 'utf8'))
  const task = await f.createTask(workflow)
  await f.engine.start(task.id)
  const done = await f.waitForStatus(task.id, ['success', 'failed'], 60_000)
  t.equal(done.status, 'success', done.error_message ?? '')
  const execs = await f.db.selectFrom('task_executions').select(['step_name', 'status', 'remote_handle'])
    .where('task_id', '=', task.id).orderBy('id').execute()
  t.same(execs.map((e) => [e.step_name, e.status]),
    [['make_files', 'success'], ['wait_files', 'success'], ['long_job', 'success'], ['clean_up', 'success']])
  const handle = JSON.parse(execs[2]!.remote_handle ?? '{}') as { dir: string }
  t.match(handle, { detached: true, pgid: Number, dir: /^~\/\.topup\/runs\// })
  await provider.transportFor('target').run({ command: `rm -rf ~/.topup/runs/${handle.dir.split('/').pop()}`, signal: AbortSignal.timeout(30_000) })
  const logs = (await f.events(task.id)).flatMap((e) => e.type === 'log' ? [e.data.message] : [])
  t.ok(logs.includes('日志 DONE'), 'remote stdout reached the task log')
  t.ok(logs.includes('2'), 'the detached step streamed its output')
})
