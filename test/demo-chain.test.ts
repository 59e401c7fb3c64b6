import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseEnv } from 'node:util'
import t from 'tap'
import { startServerProcess } from './helpers/server-process.js'
import { stopLocalSimCluster } from './helpers/sim-cluster.js'

// The README's demo of the whole day: install the simulated site, start a real server with the settings the
// installer wrote (topup.env), and drive the shipped workflows through the REST API as a physicist would — the
// standard workflow from 1.1 to step 7, resumed at each review gate, then the database upload.
const DAYS = ['250623', '250624']

interface Task { id: number; status: string; current_step: string | null; status_reason: string | null; error_message: string | null }

t.test('the README demo of the whole chain on the simulated site', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'topup-demo-chain-'))
  const site = join(dir, 'site')
  execFileSync('bash', ['scripts/demo/site/install-site.sh', site, '--days', DAYS.join(','), '--runs', '3'])
  const settings = parseEnv(readFileSync(join(site, 'topup.env'), 'utf8')) as Record<string, string>
  t.teardown(async () => {
    await stopLocalSimCluster(settings.TOPUP_VAR_HEPJOB_BIN!)
    rmSync(dir, { recursive: true, force: true })
  })
  t.match(settings, { HOSTS_FILE: join(site, 'hosts.json'), TOPUP_VAR_ENV_SCRIPT: join(site, 'w720') })
  const server = await startServerProcess(t, dir, settings)

  /** Runs a task to its end, resuming at every review gate; returns the gates it paused at, in order. */
  const runThrough = async (id: number) => {
    const gates: string[] = []
    for (;;) {
      const task = await server.waitForStatus(id, ['paused', 'success', 'failed', 'cancelled'], 120_000) as unknown as Task
      if (task.status !== 'paused') {
        t.equal(task.status, 'success', `task ${id} ended at ${task.current_step}: ${task.error_message}`)
        return gates
      }
      t.match(task.status_reason, /^waiting for review: \S/, `${task.current_step}: the pause says what to look at`)
      gates.push(task.current_step!)
      t.equal((await server.api('POST', `/api/tasks/${id}/resume`, {})).status, 200)
      await server.waitForStatus(id, ['running', 'success', 'failed'], 30_000)
    }
  }

  const before = await server.api<{ next_day: string; days: { day: string; processed: boolean }[] }>('GET', '/api/days?round=round18')
  t.match(before.body, { next_day: '250623', days: DAYS.map((day) => ({ day, processed: false })) })

  const day = await server.api<Task>('POST', '/api/tasks', {
    workflow_name: 'topup_standard_workflow', task_name: 'day 250623', parameters: { date_param: '250623' }, start: true,
  })
  t.equal(day.status, 201)
  t.same(await runThrough(day.body.id),
    ['download_pdf', 'download_hist_pdf', 'download_shield_pdfs', 'download_ets_pdf', 'download_check_pdf'],
    'the review gates after 1.4, 2.5, 4.2, 5.4 and 6.2')

  const artifacts = await server.api<{ items: { name: string; content_type: string }[] }>('GET', `/api/tasks/${day.body.id}/artifacts?limit=100`)
  const pdfs = artifacts.body.items.filter((a) => a.content_type === 'application/pdf').map((a) => a.name)
  t.ok(['mergedd_IST.pdf', 'mergedd_Hist.pdf', 'mergedd_ETS_raw.pdf', 'mergedd_ETS_checkall.pdf'].every((name) => pdfs.includes(name)),
    `every stage's PDF kept with the task (${pdfs.join(', ')})`)

  const after = await server.api<{ next_day: string; days: { day: string; processed: boolean; task: { status: string } | null }[] }>(
    'GET', '/api/days?round=round18&refresh=true')
  t.match(after.body, { next_day: '250624', days: [{ day: '250623', processed: true, task: { status: 'success' } }, { day: '250624', processed: false }] },
    'the day is processed; the next one is marked')

  const upload = await server.api<Task>('POST', '/api/tasks', { workflow_name: 'topup_db_upload', task_name: 'upload', parameters: {}, start: true })
  t.equal(upload.status, 201)
  t.same(await runThrough(upload.body.id),
    ['download_dry_run_injsiginterval', 'download_dry_run_injsigtime', 'download_dry_run_offlineevtfilter'],
    'a look at each dry run before its real insert')
  const inserted = readFileSync(join(site, 'site', 'database.txt'), 'utf8')
  t.match(inserted, /InjSigInterval/, `the site's database received the constants:\n${inserted}`)
})
