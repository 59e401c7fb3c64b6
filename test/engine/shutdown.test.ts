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

const file = (name: string) => `{{ vars.work }}/{{ task.id }}.${name}`
const exec = (id: string, command: string) => ({ id, display_name: id, type: 'exec', host: 'local', inputs: { command } })
/** Like plain_flow, but its long command ends when the test creates <work>/<task id>.go: never on a clock. */
const gateFlow = {
  name: 'gate_flow', display_name: 'gate_flow', version: '1', vars: { work: '/nonexistent' },
  steps: [
    exec('first', `echo run >> ${file('first')}`),
    exec('long', `echo run >> ${file('long')}; echo $$ > ${file('pid')}; until [ -e ${file('go')} ]; do sleep 0.05; done`),
    exec('last', `echo run >> ${file('last')}`),
  ],
}

t.test('SIGTERM: stop starting work, stop waits at once, let commands finish within the grace, then exit 0', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'topup-shutdown-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const grace = 5
  const env = { ...writeProcessWorkflows(dir), MAX_PARALLEL_TASKS: '3', SHUTDOWN_GRACE_SECONDS: String(grace) }
  writeFileSync(join(env.WORKFLOWS_DIR, 'gate_flow.json'), JSON.stringify(gateFlow))
  const work = env.TOPUP_VAR_WORK
  const lines = (name: string) => existsSync(join(work, name)) ? readFileSync(join(work, name), 'utf8').split('\n').filter(Boolean).length : 0
  const server = await startServerProcess(t, dir, env)
  const create = async (workflow_name: string, parameters: Record<string, unknown> = {}) =>
    (await server.api<{ id: number }>('POST', '/api/tasks', { workflow_name, parameters, start: true })).body.id
  const short = await create('gate_flow')                  // its long step ends within the grace, once released
  const long = await create('plain_flow', { secs: '60' })  // outlasts the grace
  const wait = await create('wait_flow')
  const queued = await create('plain_flow', { secs: '0' }) // no slot: must not start during shutdown
  const pidFile = (id: number) => join(work, `${id}.pid`)
  await until('the long steps to start', () => existsSync(pidFile(short)) && existsSync(pidFile(long)))
  await server.waitForStatus(wait, ['running'])
  const pidLong = Number(readFileSync(pidFile(long), 'utf8'))

  const db = new SQLite(join(dir, 'data', 'topup.db'), { readonly: true })
  t.teardown(() => db.close())
  const rows = (id: number) => db.prepare('SELECT step_name, status FROM task_executions WHERE task_id = ? ORDER BY id').all(id)
  const stopAt = Date.now()
  server.child.kill('SIGTERM')
  // The wait stops as soon as the engine asks its runners to shut down — all of them at once — so from here
  // on the short task's runner knows: the command it lets finish must not be followed by its next step.
  await until('the shutdown to reach the runners', () => (rows(wait) as Array<{ status: string }>)[0]?.status === 'interrupted')
  writeFileSync(join(work, `${short}.go`), '')
  const [code] = await server.exited
  const took = Date.now() - stopAt
  t.equal(code, 0, 'exit code 0')
  t.ok(took >= (grace - 0.5) * 1000 && took < 30_000, `waited for the grace, then stopped (${took} ms)`)
  t.notOk(alive(pidLong), 'the command that outlasted the grace was stopped')

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
  t.equal(paused.status_reason,
    'interrupted by restart during step long — it may have run in part: look at its file, then resume', 'with the workflow\'s advice')
  t.equal(lines(`${long}.long`), 1)
  await again.waitForStatus(queued, ['success'])
  writeFileSync(join(work, `ready-${wait}`), '')
  await again.waitForStatus(wait, ['success'])
  again.child.kill('SIGTERM')
  t.equal((await again.exited)[0], 0)
})
