import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import SQLite from 'better-sqlite3'
import t from 'tap'
import { startServerProcess } from '../helpers/server-process.js'
import { writeProcessWorkflows } from '../helpers/workflow-files.js'

const alive = (pid: number) => {
  try { return !/^\d+ \(.*\) [ZX]/.test(readFileSync(`/proc/${pid}/stat`, 'utf8')) } catch { return false }
}

t.test('SIGTERM: stop starting work, stop waits at once, let commands finish within the grace, then exit 0', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'topup-shutdown-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const env = { ...writeProcessWorkflows(dir), MAX_PARALLEL_TASKS: '3', SHUTDOWN_GRACE_SECONDS: '3' }
  const work = env.TOPUP_VAR_WORK
  const lines = (name: string) => existsSync(join(work, name)) ? readFileSync(join(work, name), 'utf8').split('\n').filter(Boolean).length : 0
  const server = await startServerProcess(t, dir, env)
  const create = async (workflow_name: string, parameters: Record<string, unknown> = {}) =>
    (await server.api<{ id: number }>('POST', '/api/tasks', { workflow_name, parameters, start: true })).body.id
  const short = await create('plain_flow', { secs: '1' })  // its long step ends within the grace
  const long = await create('plain_flow', { secs: '60' })  // outlasts the grace
  const wait = await create('wait_flow')
  const queued = await create('plain_flow', { secs: '0' }) // no slot: must not start during shutdown
  const pidFile = (id: number) => join(work, `${id}.pid`)
  for (let i = 0; i < 400 && !(existsSync(pidFile(short)) && existsSync(pidFile(long))); i++) await delay(25)
  await server.waitForStatus(wait, ['running'])
  const pidLong = Number(readFileSync(pidFile(long), 'utf8'))

  const stopAt = Date.now()
  server.child.kill('SIGTERM')
  const [code] = await server.exited
  const took = Date.now() - stopAt
  t.equal(code, 0, 'exit code 0')
  t.ok(took >= 2500 && took < 12_000, `waited for the grace, then stopped (${took} ms)`)
  t.notOk(alive(pidLong), 'the command that outlasted the grace was stopped')

  const db = new SQLite(join(dir, 'data', 'topup.db'), { readonly: true })
  t.teardown(() => db.close())
  const rows = (id: number) => db.prepare('SELECT step_name, status FROM task_executions WHERE task_id = ? ORDER BY id').all(id)
  t.same(rows(short), [{ step_name: 'first', status: 'success' }, { step_name: 'long', status: 'success' }],
    'the short command finished within the grace; the next step was not started')
  t.same(rows(long), [{ step_name: 'first', status: 'success' }, { step_name: 'long', status: 'interrupted' }])
  t.same(rows(wait), [{ step_name: 'wait', status: 'interrupted' }], 'the wait stopped at once')
  t.same(rows(queued), [], 'nothing new started')
  t.equal((db.prepare('SELECT status FROM tasks WHERE id = ?').get(queued) as { status: string }).status, 'queued')
  const pending = db.prepare(`SELECT count(*) AS n FROM task_executions WHERE status = 'running'`).get() as { n: number }
  t.equal(pending.n, 0, 'every execution row was closed')
  const lastLog = db.prepare(`SELECT message FROM task_logs WHERE task_id = ? ORDER BY seq DESC LIMIT 1`).get(wait) as { message: string }
  t.ok(lastLog, 'log lines were flushed before exit')

  // The next start picks everything up: no command runs twice behind anyone's back.
  const again = await startServerProcess(t, dir, env)
  await again.waitForStatus(short, ['success'])
  t.same([lines(`${short}.first`), lines(`${short}.long`), lines(`${short}.last`)], [1, 1, 1])
  const paused = await again.waitForStatus(long, ['paused'])
  t.equal(paused.status_reason, 'interrupted by restart during step long')
  t.equal(lines(`${long}.long`), 1)
  await again.waitForStatus(queued, ['success'])
  writeFileSync(join(work, `ready-${wait}`), '')
  await again.waitForStatus(wait, ['success'])
  again.child.kill('SIGTERM')
  t.equal((await again.exited)[0], 0)
})
