import t from 'tap'
import { installSimCluster, type SimCluster } from '../helpers/sim-cluster.js'
import { startSshSite } from '../helpers/ssh-site.js'
import { siteProvider } from '../remote/site-provider.js'
import { engineFixture, type TestWorkflow } from './fixture.js'

// Cluster jobs on the SSH test site's target, reached through the jump, whose login shells print noise that
// includes "1 job(s) submitted to cluster 123." on every command channel: only the command's own lines reveal
// jobs, and every status answer is read from its frame.

const site = await startSshSite(t)
const { provider } = siteProvider(t, site)

async function jobScript(cluster: SimCluster): Promise<string> {
  const file = `${cluster.workDir}/job.sh`
  await cluster.run(`printf '%s\\n' '#!/bin/bash' 'sleep "$1"' > ${file} && chmod 755 ${file}`)
  return file
}

async function workflow(cluster: SimCluster, seconds: number): Promise<TestWorkflow> {
  const script = await jobScript(cluster)
  return {
    vars: { bin: cluster.bin, script },
    steps: [
      {
        id: 'submit', display_name: 'submit', type: 'exec', host: 'target',
        inputs: {
          command: `cd {{ vars.bin }} && ./hep_sub {{ vars.script }} ${seconds} && ./hep_sub {{ vars.script }} ${seconds}`,
          jobs: { system: 'hepjob', from_output: 'cluster_ids', tools: '{{ vars.bin }}' },
        },
        outputs: { cluster_ids: { pattern: 'submitted to cluster ([0-9]+)', all: true } },
      },
      { id: 'wait', display_name: 'wait', type: 'wait_for_jobs', host: 'target', inputs: { jobs: 'submit' } },
    ],
  }
}

t.test('jobs submitted on the target are recorded from the command\'s own lines and watched to completion', async (t) => {
  const cluster = await installSimCluster(t, provider.transportFor('target'))
  await cluster.configure({ lag_seconds: 0.3, start_seconds: 0.1 })
  const f = engineFixture(t, { transports: provider })
  const task = await f.createTask(await workflow(cluster, 0.2))
  await f.engine.start(task.id)
  const done = await f.waitForStatus(task.id, ['success', 'failed', 'paused'], 60_000)
  t.equal(done.status, 'success', String(done.status_reason))
  const rows = await f.db.selectFrom('remote_jobs').selectAll().where('task_id', '=', task.id).orderBy('id').execute()
  t.same(rows.map((r) => [r.host, r.job_id, r.state, r.exit_code]), [['target', '1.0', 'completed', 0], ['target', '2.0', 'completed', 0]],
    'the noise\'s "cluster 123" is no job of the task')
  const logs = await f.db.selectFrom('task_logs').select('message').where('task_id', '=', task.id).execute()
  t.ok(logs.some((l) => /submitted to cluster 123/.test(l.message)), 'the noise line is in the log (it was printed), not in the jobs')
})

t.test('cancel on the target removes the jobs through the jump: 0 left in its queue', async (t) => {
  const cluster = await installSimCluster(t, provider.transportFor('target'))
  await cluster.configure({ lag_seconds: 0.3, start_seconds: 0.1 })
  const f = engineFixture(t, { transports: provider })
  const task = await f.createTask(await workflow(cluster, 60))
  await f.engine.start(task.id)
  await f.waitForEvent(task.id, (e) => e.type === 'job.state' && e.data.job_id === '2.0' && e.data.state === 'running', 60_000)
  await f.engine.cancel(task.id)
  const done = await f.waitForStatus(task.id, 'cancelled', 60_000)
  t.equal(done.status_reason, null)
  const left = [...(await cluster.jobs())].filter(([, job]) => job.live || job.state !== 'removed')
  t.same(left, [], 'no job of the task is queued or running on the target')
})
