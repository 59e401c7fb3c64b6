import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import SQLite from 'better-sqlite3'
import t from 'tap'
import { startServerProcess } from '../helpers/server-process.js'
import { writeProcessWorkflows } from '../helpers/workflow-files.js'
import { until } from './until.js'

const alive = (pid: number) => {
  try { return !/^\d+ \(.*\) [ZX]/.test(readFileSync(`/proc/${pid}/stat`, 'utf8')) } catch { return false }
}

t.test('SIGKILL of the server mid-task, then restart: nothing lost, nothing stuck, no command run twice', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'topup-recovery-'))
  const orphans: number[] = []
  t.teardown(() => {
    for (const pid of orphans) { try { process.kill(-pid, 'SIGKILL') } catch { /* gone */ } }
    rmSync(dir, { recursive: true, force: true })
  })
  const env = { ...writeProcessWorkflows(dir), MAX_PARALLEL_TASKS: '4' }
  const work = env.TOPUP_VAR_WORK
  const lines = (name: string) => existsSync(join(work, name)) ? readFileSync(join(work, name), 'utf8').split('\n').filter(Boolean).length : 0
  const server = await startServerProcess(t, dir, env)
  const create = async (workflow_name: string, parameters: Record<string, unknown> = {}) => {
    const res = await server.api<{ id: number }>('POST', '/api/tasks', { workflow_name, parameters })
    t.equal(res.status, 201)
    return res.body.id
  }
  const a = await create('plain_flow')               // a plain command running at the crash
  const b = await create('wait_flow')                // a wait in progress
  const c = await create('idem_flow')                // an idempotent command running
  const e = await create('plain_flow')               // cancel committed just before the crash
  const d = await create('plain_flow', { secs: '0' }) // still queued
  for (const id of [a, b, c, e, d]) t.equal((await server.api('POST', `/api/tasks/${id}/start`)).status, 200)

  const db = new SQLite(join(dir, 'data', 'topup.db'), { readonly: true })
  t.teardown(() => db.close())
  const pidA = await until('task a to run its long step', () => existsSync(join(work, `${a}.pid`)) && Number(readFileSync(join(work, `${a}.pid`), 'utf8')))
  const pidE = await until('task e to run its long step', () => existsSync(join(work, `${e}.pid`)) && Number(readFileSync(join(work, `${e}.pid`), 'utf8')))
  orphans.push(pidA, pidE)
  await until('task c to run', () => lines(`${c}.again`) === 1)
  await until('the wait of task b to save progress', () => {
    const row = db.prepare(`SELECT progress_state FROM task_executions WHERE task_id = ? AND status = 'running'`).get(b) as { progress_state: string | null } | undefined
    return row?.progress_state && (JSON.parse(row.progress_state) as { polls: number }).polls >= 1
  })
  t.equal((await server.api<{ status: string }>('GET', `/api/tasks/${d}`)).body.status, 'queued')

  server.child.kill('SIGKILL')
  await server.exited
  t.ok(alive(pidA), 'the command of task a outlived the server (its own process group)')

  // The cancel of task e committed, then the server died before it could stop the step.
  const rw = new SQLite(join(dir, 'data', 'topup.db'))
  rw.prepare(`UPDATE tasks SET status = 'cancelling' WHERE id = ?`).run(e)
  rw.close()

  const again = await startServerProcess(t, dir, env)
  const taskA = await again.waitForStatus(a, ['paused'])
  t.equal(taskA.status_reason,
    'interrupted by restart during step long — it may have run in part: look at its file, then resume', 'with the workflow\'s advice')
  t.equal(taskA.resume_from_step, 'long')
  t.notOk(alive(pidA), 'the orphaned command of task a was stopped')
  await again.waitForStatus(e, ['cancelled'])
  t.notOk(alive(pidE), 'the recorded process group of the cancelled task was killed')
  await again.waitForStatus(c, ['success'])
  t.equal(lines(`${c}.again`), 2, 'the idempotent step ran again')
  await again.waitForStatus(d, ['success'])

  t.equal((await again.api<{ status: string }>('GET', `/api/tasks/${b}`)).body.status, 'running', 'the wait goes on')
  writeFileSync(join(work, `ready-${b}`), '')
  await again.waitForStatus(b, ['success'])
  const bLogs = await again.api<{ items: Array<{ message: string }> }>('GET', `/api/tasks/${b}/logs?limit=1000`)
  t.ok(bLogs.body.items.some((l) => l.message.includes('continuing after')), 'continued from its saved progress')

  t.equal(lines(`${a}.first`), 1, 'task a: the first step never ran again')
  t.equal(lines(`${a}.long`), 1, 'task a: the interrupted command did not run again by itself')
  t.equal(lines(`${a}.last`), 0)
  // A person decides: run it again, shorter.
  const resumed = await again.api<{ status: string }>('POST', `/api/tasks/${a}/resume`, { parameters: { secs: '0' } })
  t.equal(resumed.status, 200)
  await again.waitForStatus(a, ['success'])
  t.same([lines(`${a}.first`), lines(`${a}.long`), lines(`${a}.last`)], [1, 2, 1])
  t.equal(lines(`${e}.last`), 0, 'the cancelled task went no further')

  const stuck = db.prepare(`SELECT count(*) AS n FROM tasks WHERE status IN ('running', 'pausing', 'cancelling', 'queued')`).get() as { n: number }
  t.equal(stuck.n, 0, 'no task is stuck')
  const open = db.prepare(`SELECT count(*) AS n FROM task_executions WHERE status = 'running'`).get() as { n: number }
  t.equal(open.n, 0, 'no execution is left running')
  for (const id of [a, b, c, d, e]) {
    const { last_seq: last } = db.prepare('SELECT last_seq FROM tasks WHERE id = ?').get(id) as { last_seq: number }
    const seqs = (db.prepare(`SELECT seq FROM task_events WHERE task_id = ? UNION ALL SELECT seq FROM task_logs WHERE task_id = ? ORDER BY seq`)
      .all(id, id) as Array<{ seq: number }>).map((r) => r.seq)
    t.same(seqs, Array.from({ length: last }, (_, i) => i + 1), `task ${id}: every event kept, seq 1..${last} without gaps`)
  }
  again.child.kill('SIGTERM')
  t.equal((await again.exited)[0], 0)
})
