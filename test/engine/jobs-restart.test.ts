import t from 'tap'
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { installSimCluster } from '../helpers/sim-cluster.js'
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js'

// A server killed (SIGKILL) while its task waits on cluster jobs: the next server continues watching the jobs
// recorded in remote_jobs; nothing is submitted a second time, and the task ends when the jobs do.

interface Job { job_id: string; state: string }

async function jobsOf(server: ServerProcess, id: number): Promise<Job[]> {
  return (await server.api<{ items: Job[] }>('GET', `/api/tasks/${id}/jobs`)).body.items
}

async function untilJobs(server: ServerProcess, id: number, done: (jobs: Job[]) => boolean): Promise<Job[]> {
  for (let i = 0; i < 400; i++) {
    const jobs = await jobsOf(server, id)
    if (done(jobs)) return jobs
    await delay(50)
  }
  throw new Error(`jobs of task ${id} never reached the state wanted: ${JSON.stringify(await jobsOf(server, id))}`)
}

t.test('after a SIGKILL the next server continues watching the recorded jobs and submits nothing again', async (t) => {
  const cluster = await installSimCluster(t)
  await cluster.configure({ lag_seconds: 0.2, start_seconds: 0.1 })
  const dir = mkdtempSync(join(tmpdir(), 'topup-jobs-restart-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const go = join(cluster.workDir, 'go')
  // each job runs until the test lets it end (at most 60 s)
  const script = join(cluster.workDir, 'job.sh')
  writeFileSync(script, `#!/bin/bash\nfor i in $(seq 600); do [ -e ${go} ] && exit 0; sleep 0.1; done\nexit 1\n`)
  chmodSync(script, 0o755)
  const workflows = join(dir, 'workflows')
  mkdirSync(workflows)
  writeFileSync(join(workflows, 'jobs.json'), JSON.stringify({
    name: 'restart_jobs', display_name: 'jobs across a restart', version: '1',
    vars: { bin: cluster.bin, script, work: cluster.workDir },
    steps: [
      {
        id: 'submit', display_name: 'submit', type: 'exec', host: 'local',
        inputs: {
          command: 'cd {{ vars.work }} && {{ vars.bin }}/hep_sub {{ vars.script }} && {{ vars.bin }}/hep_sub {{ vars.script }}',
          jobs: { system: 'hepjob', from_output: 'cluster_ids', tools: '{{ vars.bin }}' },
        },
        outputs: { cluster_ids: { pattern: 'submitted to cluster ([0-9]+)', all: true } },
      },
      { id: 'wait', display_name: 'wait', type: 'wait_for_jobs', inputs: { jobs: 'submit' } },
    ],
  }))
  const env = { WORKFLOWS_DIR: workflows, JOB_POLL_MIN_SECONDS: '0.2', JOB_POLL_MAX_SECONDS: '0.5' }

  const first = await startServerProcess(t, dir, env)
  const created = await first.api<{ id: number }>('POST', '/api/tasks', {
    workflow_name: 'restart_jobs', task_name: 'restart', parameters: {}, start: true,
  })
  const id = created.body.id
  await untilJobs(first, id, (jobs) => jobs.length === 2 && jobs.every((j) => j.state === 'running'))
  first.child.kill('SIGKILL')
  await first.exited

  const second = await startServerProcess(t, dir, env)
  writeFileSync(go, '')
  const done = await second.waitForStatus(id, ['success', 'failed', 'paused'], 60_000)
  t.equal(done.status, 'success', String(done.status_reason))
  t.same((await jobsOf(second, id)).map((j) => [j.job_id, j.state]), [['1.0', 'completed'], ['2.0', 'completed']])
  t.same([...(await cluster.jobs()).keys()], ['1.0', '2.0'], 'the cluster got exactly the two submissions')
})
