import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import SQLite from 'better-sqlite3'
import t from 'tap'
import { startServerProcess } from '../helpers/server-process.js'
import { smallDisk } from '../helpers/small-disk.js'
import { writeProcessWorkflows } from '../helpers/workflow-files.js'

const file = (name: string) => `{{ vars.work }}/{{ task.id }}.${name}`
/** Its first step runs until the test creates <work>/<task id>.go. */
const gateFlow = {
  name: 'gate_flow', display_name: 'gate_flow', version: '1', vars: { work: '/nonexistent' },
  steps: [
    { id: 'long', display_name: 'long', type: 'exec', host: 'local',
      inputs: { command: `touch ${file('started')}; until [ -e ${file('go')} ]; do sleep 0.05; done` } },
    { id: 'last', display_name: 'last', type: 'exec', host: 'local', inputs: { command: 'echo last' } },
  ],
}

t.test('a server whose data folder fills up: 507 for writes, health 503, and no task stranded once space is back', async (t) => {
  const disk = smallDisk(t)
  const dir = mkdtempSync(join(tmpdir(), 'topup-storage-full-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const env = {
    ...writeProcessWorkflows(dir), DATA_DIR: join(disk.dir, 'data'), MAX_PARALLEL_TASKS: '1',
    STORAGE_PROBE_SECONDS: '0.1', STORAGE_RETRY_MAX_SECONDS: '0.2',
  }
  writeFileSync(join(env.WORKFLOWS_DIR, 'gate_flow.json'), JSON.stringify(gateFlow))
  const work = env.TOPUP_VAR_WORK
  const logFile = join(dir, 'logs', 'topup.log')
  const logLines = () => readFileSync(logFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>)
  const server = await startServerProcess(t, dir, env)
  const health = async () => {
    const res = await fetch(`${server.base}/api/health`)
    return { status: res.status, type: res.headers.get('content-type'), body: await res.json() as Record<string, unknown> }
  }
  /** Bounded: asks until the answer has the status (the probe runs every 0.1 s). */
  const healthBecomes = async (status: number) => {
    for (let i = 0; i < 300; i++) {
      const answer = await health()
      if (answer.status === status) return answer
      await delay(50)
    }
    throw new Error(`health never answered ${status}`)
  }
  const create = (workflow_name: string, parameters: Record<string, unknown> = {}) =>
    server.api<Record<string, unknown>>('POST', '/api/tasks', { workflow_name, parameters, start: true })

  const gated = Number((await create('gate_flow')).body.id)
  for (let i = 0; i < 600 && !existsSync(join(work, `${gated}.started`)); i++) await delay(25)
  t.ok(existsSync(join(work, `${gated}.started`)), 'the gated step runs')
  const next = Number((await create('plain_flow', { secs: '0' })).body.id)
  t.equal((await server.api('GET', `/api/tasks/${next}`)).body.status, 'queued', 'one slot: the next task waits')
  t.equal((await health()).status, 200)

  disk.fill()
  const refused = await create('plain_flow', { secs: '0' })
  t.equal(refused.status, 507, 'a write on the full disk is answered 507')
  t.match(refused.body, {
    code: 'storage_full', status: 507, title: 'Insufficient storage',
    detail: /^the server's disk is full, so this request could not be completed: try again once space has been freed on the server \(request id /,
  })
  const failed = logLines().find((l) => l.msg === 'request failed')
  t.match(failed, { code: 'storage_full', err: { code: 'SQLITE_FULL', message: 'database or disk is full' } },
    'the log shows the original error')
  t.notOk(readFileSync(logFile, 'utf8').includes('cannot rollback'), 'not the rollback that followed it')

  writeFileSync(join(work, `${gated}.go`), '')
  const down = await healthBecomes(503)
  t.match(down, {
    type: /^application\/problem\+json/,
    body: { code: 'storage_error', database: 'writes_failing', detail: /^database writes are failing since .*: the server's disk is full; free space on it/ },
  }, 'health says writes fail')
  for (let i = 0; i < 600 && !logLines().some((l) => l.task_id === gated && l.msg === 'task runner could not write to the database: the server\'s disk is full'); i++) {
    await delay(25)
  }
  t.ok(logLines().some((l) => l.task_id === gated && (l.err as { code?: string } | undefined)?.code === 'SQLITE_FULL'),
    'the runner met the full disk when the step ended')
  t.equal((await server.api('GET', `/api/tasks/${gated}`)).body.status, 'running', 'reads still answer')

  disk.free()
  t.equal((await healthBecomes(200)).body.status, 'ok', 'health is back once writes work')
  const paused = await server.waitForStatus(gated, ['paused'])
  t.match(paused, { status_reason: /^a database write failed \(the server's disk is full, SQLITE_FULL\) during step long; check the step's work, then resume$/, resume_from_step: 'long' })
  await server.waitForStatus(next, ['success'])
  t.pass('the freed slot ran the next task')

  const sqlite = new SQLite(join(disk.dir, 'data', 'topup.db'), { readonly: true })
  t.teardown(() => sqlite.close())
  const seqs = (sqlite.prepare('SELECT seq FROM task_events WHERE task_id = ? UNION ALL SELECT seq FROM task_logs WHERE task_id = ? ORDER BY seq')
    .all(gated, gated) as { seq: number }[]).map((r) => r.seq)
  t.same(seqs, seqs.map((_, i) => i + 1), 'the task\'s record is whole: seqs without a gap')
  t.same(sqlite.prepare('SELECT status FROM task_executions WHERE task_id = ? ORDER BY id').all(gated), [{ status: 'failed' }])
  t.equal((await create('plain_flow', { secs: '0' })).status, 201, 'writes are answered again')
})
