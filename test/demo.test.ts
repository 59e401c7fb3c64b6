import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir, userInfo } from 'node:os'
import { setTimeout as delay } from 'node:timers/promises'
import { join } from 'node:path'
import t from 'tap'
import { signToken } from '../src/auth/token.js'
import { runCli } from './cli/cli-process.js'
import { SECRET, startServerProcess } from './helpers/server-process.js'
import { stopLocalSimCluster } from './helpers/sim-cluster.js'

t.test('the README demo: create with start, topup follow live until review, resume, fetch the PDF', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'topup-demo-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const server = await startServerProcess(t, dir, { TOPUP_VAR_WORK_DIR: join(dir, 'work'), DEMO_STEP_SECONDS: '0.1' })
  const token = signToken(SECRET, { userId: 'alice', role: 'user' }, 3600)

  const created = await server.api<{ id: number; status: string }>('POST', '/api/tasks', {
    workflow_name: 'demo_topup_first_stage', task_name: 'demo 250624',
    parameters: { date_param: '250624', runs: 3 }, start: true,
  })
  t.equal(created.status, 201)
  const id = created.body.id

  const followed = await runCli(['follow', String(id)], { ...process.env, TOPUP_URL: server.base, TOPUP_TOKEN: token, LANG: 'C' })
  t.equal(followed.code, 2, `topup follow exits 2 at the review pause (stderr: ${followed.stderr})`)
  const all = followed.stdout.trim().split('\n')
  t.ok(all.every((line) => line.startsWith('#') || line.startsWith('        ')), 'a multi-line message continues indented')
  const lines = all.filter((line) => line.startsWith('#'))
  const seqs = lines.map((line) => Number(/^#\s*(\d+) /.exec(line)?.[1]))
  t.same(seqs, seqs.map((_, i) => i + 1), 'every event once, in order, from seq 1')
  t.match(followed.stderr, new RegExp(`task ${id} is waiting for review`))
  t.match(followed.stdout, /STEP +wait success/)
  t.match(followed.stdout, /OUTPUT +wait\.complete = \[.+\]/)
  t.match(lines.filter((line) => / STATUS /.test(line)).at(-1), /STATUS +running → paused \(waiting for review\)$/)

  const paused = await server.api<{ status: string; status_reason: string }>('GET', `/api/tasks/${id}`)
  t.match(paused.body, { status: 'paused', status_reason: 'waiting for review', progress: { jobs: { total: 3, summary: '3/3 done' } } })
  const jobs = await server.api<{ items: { job_id: string; state: string; exit_code: number }[]; total: number }>('GET', `/api/tasks/${id}/jobs`)
  t.same(jobs.body.items.map((j) => [j.job_id, j.state, j.exit_code]),
    [['60726901.0', 'completed', 0], ['60726902.0', 'completed', 0], ['60726903.0', 'completed', 0]],
    'the demo\'s simulated cluster shows its jobs, completed by the word of its history')

  const artifacts = await server.api<{ items: { id: number; name: string; content_type: string }[] }>('GET', `/api/tasks/${id}/artifacts`)
  t.equal(artifacts.body.items.length, 1)
  t.match(artifacts.body.items[0], { name: 'mergedd_IST.pdf', content_type: 'application/pdf' })
  const pdf = await fetch(`${server.base}/api/artifacts/${artifacts.body.items[0]!.id}`, { headers: { authorization: `Bearer ${token}` } })
  t.equal(pdf.status, 200)
  t.equal(Buffer.from(await pdf.arrayBuffer()).subarray(0, 5).toString(), '%PDF-')

  const resumed = await server.api('POST', `/api/tasks/${id}/resume`)
  t.equal(resumed.status, 200)
  const done = await server.waitForStatus(id, ['success', 'failed'])
  t.match(done, { status: 'success', progress_percentage: 100 })
})

t.test('the demo\'s cancel removes its cluster jobs: none is left in the simulated queue', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'topup-demo-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const work = join(dir, 'work')
  const server = await startServerProcess(t, dir, { TOPUP_VAR_WORK_DIR: work, DEMO_STEP_SECONDS: '30' })
  t.teardown(() => stopLocalSimCluster(join(work, 'InjSigTimeCal', '.cluster')))
  const created = await server.api<{ id: number }>('POST', '/api/tasks', {
    workflow_name: 'demo_topup_first_stage', task_name: 'demo cancel', parameters: { date_param: '250625', runs: 2 }, start: true,
  })
  const id = created.body.id
  const running = async () => {
    const jobs = await server.api<{ items: { state: string }[] }>('GET', `/api/tasks/${id}/jobs`)
    return jobs.body.items.length === 2 && jobs.body.items.every((j) => j.state === 'running')
  }
  for (let i = 0; i < 600 && !await running(); i++) await delay(50)
  t.ok(await running(), 'both jobs run')
  t.equal((await server.api('POST', `/api/tasks/${id}/cancel`)).status, 200)
  const done = await server.waitForStatus(id, ['cancelled'])
  t.equal(done.status_reason, null)
  const jobs = await server.api<{ items: { state: string }[] }>('GET', `/api/tasks/${id}/jobs`)
  t.same(jobs.body.items.map((j) => j.state), ['removed', 'removed'])
  const listing = spawnSync(join(work, 'InjSigTimeCal', '.cluster', 'hep_q'), ['-u', userInfo().username], { encoding: 'utf8' })
  t.match(listing.stdout, /^0 jobs; /m, 'hep_q lists no job left')
})
