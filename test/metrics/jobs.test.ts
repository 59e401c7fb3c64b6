import { chmodSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import t from 'tap'
import { buildTestApp } from '../helpers/app.js'
import { installSimCluster } from '../helpers/sim-cluster.js'
import { parseScrape } from './prom-text.js'

// Cluster jobs in /metrics, through the engine on the stand-in HepJob cluster of this machine.

const METRICS_TOKEN = 'metrics-test-token-0123456789abcdef'

t.test('cluster jobs by host, system and state, and the status polls', async (t) => {
  const cluster = await installSimCluster(t)
  await cluster.configure({ lag_seconds: 0, start_seconds: 0.1 })
  const script = join(cluster.workDir, 'job.sh')
  const go = join(cluster.workDir, 'go')
  // The jobs run until the test lets them end: never on a clock.
  writeFileSync(script, `#!/bin/bash\nuntil [ -e '${go}' ]; do sleep 0.05; done\n`)
  chmodSync(script, 0o755)
  const workflow = {
    name: 'jobs', display_name: 'jobs', version: '1', vars: { bin: cluster.bin, script },
    steps: [
      {
        id: 'submit', display_name: 'submit', type: 'exec', host: 'local',
        inputs: {
          command: 'cd {{ vars.bin }}/../work && {{ vars.bin }}/hep_sub {{ vars.script }} && {{ vars.bin }}/hep_sub {{ vars.script }}',
          jobs: { system: 'hepjob', from_output: 'cluster_ids', tools: '{{ vars.bin }}' },
        },
        outputs: { cluster_ids: { pattern: 'submitted to cluster ([0-9]+)', all: true, required: true } },
      },
      { id: 'wait', display_name: 'wait', type: 'wait_for_jobs', inputs: { jobs: 'submit', max_wait_minutes: 5 } },
    ],
  }
  const { app, authFor } = await buildTestApp(t, {
    engine: true, workflows: [workflow], env: { METRICS_TOKEN, JOB_POLL_MIN_SECONDS: '0.1', JOB_POLL_MAX_SECONDS: '0.2', JOB_POLL_FAILURES: '1000' },
  })
  const scrape = async () => parseScrape((await app.inject({ url: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).body)
  const created = await app.inject({ method: 'POST', url: '/api/tasks', headers: authFor('alice'), payload: { workflow_name: 'jobs', start: true } })
  t.equal(created.statusCode, 201, created.body)
  const id = created.json().id as number
  /** Scrapes until `ok` holds (bounded). */
  const scrapeUntil = async (what: string, ok: (s: Awaited<ReturnType<typeof scrape>>) => boolean) => {
    for (let i = 0; i < 600; i++) {
      const s = await scrape()
      if (ok(s)) return s
      await delay(50)
    }
    throw new Error(`timed out waiting for ${what}`)
  }
  const running = await scrapeUntil('two running jobs', (s) => s.value('topup_cluster_jobs', { state: 'running' }) === 2)
  t.equal(running.value('topup_cluster_jobs', { host: 'local', system: 'hepjob', state: 'running' }), 2, 'by host, system and state')
  t.equal(running.value('topup_cluster_jobs_finished_total', { state: 'completed' }), undefined, 'none has ended yet')

  // The queue tool breaks: the polls fail (the tasks do not pause, JOB_POLL_FAILURES is high), then it is back.
  const queueTool = join(cluster.bin, 'hep_q')
  renameSync(queueTool, `${queueTool}.real`)
  writeFileSync(queueTool, '#!/bin/sh\necho "hep_q: scheduler not responding" >&2\nexit 1\n')
  chmodSync(queueTool, 0o755)
  const failing = await scrapeUntil('a failed poll', (s) => (s.value('topup_cluster_job_poll_failures_total', { host: 'local', system: 'hepjob' }) ?? 0) >= 1)
  t.ok(failing.value('topup_cluster_job_poll_duration_seconds_count', { host: 'local', system: 'hepjob', outcome: 'failed' })! >= 1,
    'a failed poll is timed too')
  renameSync(`${queueTool}.real`, queueTool)
  writeFileSync(go, '')

  let status = ''
  for (let i = 0; i < 600 && !['success', 'failed', 'paused', 'cancelled'].includes(status); i++) {
    status = (await app.inject({ url: `/api/tasks/${id}`, headers: authFor('alice') })).json().status
    if (status !== 'success') await delay(50)
  }
  t.equal(status, 'success')

  const after = await scrape()
  t.equal(after.value('topup_cluster_jobs_finished_total', { host: 'local', system: 'hepjob', state: 'completed' }), 2, 'both jobs ended, completed')
  t.same(after.samples('topup_cluster_jobs'), [], 'the batch system holds none any more')
  t.ok(after.value('topup_cluster_job_poll_duration_seconds_count', { host: 'local', system: 'hepjob', outcome: 'ok' })! >= 1, 'polls measured')
  t.equal(after.value('topup_step_duration_seconds_count', { workflow: 'jobs', step: 'wait', outcome: 'success' }), 1)
})
