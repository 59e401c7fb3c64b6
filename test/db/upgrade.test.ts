import t from 'tap'
import SQLite from 'better-sqlite3'
import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { signToken } from '../../src/auth/token.js'
import { openDatabase } from '../../src/db/connect.js'
import { migrations } from '../../src/db/migrations/index.js'
import { taskEventTypes } from '../../src/domain.js'
import { describeSchema, dumpDatabase, releaseFixture, schemaSql } from '../helpers/db.js'
import { SECRET, startServerProcess } from '../helpers/server-process.js'

/**
 * A user upgrades: the database the first release left (test/fixtures/db/release-1, tasks in every status, some
 * frozen mid-run as a crash leaves them) is opened by this code. Nothing may be lost, and all of it must read
 * back through the API.
 */

const dir = mkdtempSync(join(tmpdir(), 'topup-upgrade-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

/** A copy of the fixture as DATA_DIR `<home>/data`, its workflows in `<home>/workflows`. */
function copyFixture(name: string): string {
  const home = join(dir, name)
  cpSync(releaseFixture, join(home, 'data'), { recursive: true })
  cpSync(join(home, 'data', 'workflows'), join(home, 'workflows'), { recursive: true })
  rmSync(join(home, 'data', 'workflows'), { recursive: true })
  return home
}

const expectedCounts = {
  workflows: 4, workflow_steps: 8, tasks: 10, task_executions: 11, step_outputs: 5, task_logs: 25, task_events: 63,
  task_parameters: 8, host_keys: 1,
}

t.test('the migrations keep every row of a release database as it was', async (t) => {
  const file = join(copyFixture('rows'), 'data', 'topup.db')
  const old = new SQLite(file, { readonly: true })
  const before = dumpDatabase(old)
  old.close()
  t.same(before.schema_meta, [{ key: 'schema_version', value: '1' }], 'the fixture is at version 1')
  t.same(before.remote_jobs, [], 'the dropped tables held nothing')
  t.same(before.user_preferences, [])

  const { db, sqlite } = openDatabase(file)
  t.teardown(() => db.destroy())
  const after = dumpDatabase(sqlite)
  for (const [table, count] of Object.entries(expectedCounts)) t.equal(after[table]?.length, count, `${table}: ${count} rows`)
  for (const table of Object.keys(before)) {
    if (table === 'sqlite_master' || table === 'schema_meta') continue
    if (table === 'remote_jobs' || table === 'user_preferences') t.notOk(after[table], `${table} is dropped`)
    else t.same(after[table], before[table], `${table}: every row, every value`)
  }
  t.same(after.schema_meta, [{ key: 'schema_version', value: String(migrations.length) }])
  const reference = new SQLite(':memory:')
  t.teardown(() => reference.close())
  reference.exec(schemaSql)
  t.same(describeSchema(sqlite), describeSchema(reference), 'and the schema is exactly schema.sql')
})

t.test('the new server starts on a release database, recovers it truthfully and serves all of it', async (t) => {
  const home = copyFixture('server')
  const server = await startServerProcess(t, home, { WORKFLOWS_DIR: join(home, 'workflows') })
  const get = async <T = Record<string, unknown>>(path: string) => {
    const res = await server.api<T>('GET', path)
    t.equal(res.status, 200, `GET ${path}`)
    return res.body
  }

  // The queued task runs now (its hold file does not exist here, so it goes straight through).
  await server.waitForStatus(9, ['success'])
  const list = await get<{ items: { id: number; status: string; status_reason: string | null }[]; total: number }>('/api/tasks')
  t.equal(list.total, 10)
  const status = Object.fromEntries(list.items.map((task) => [task.id, task.status]))
  t.same(status, {
    1: 'success', 2: 'failed', 3: 'paused', 4: 'cancelled', 5: 'cancelled',
    6: 'paused', 7: 'paused', 8: 'cancelled', 9: 'success', 10: 'pending',
  }, 'running and pausing were paused for a person, cancelling finished, the rest kept their status')
  t.match(list.items.find((task) => task.id === 6), { status_reason: 'interrupted by restart during step hold' })
  for (const id of [6, 7, 8]) {
    const executions = await get<{ items: { status: string }[] }>(`/api/tasks/${id}/executions`)
    t.notOk(executions.items.some((e) => e.status === 'running'), `task ${id}: no execution is left running`)
  }

  const detail = await get(`/api/tasks/1`)
  t.match(detail, {
    id: 1, status: 'success', workflow_name: 'fixture_report', user_id: 'alice',
    parameters: { date_param: '250701', runs: 3, with_notes: false, mode: 'full' },
  })
  const executions = await get<{ items: { status: string }[] }>('/api/tasks/1/executions')
  t.same(executions.items.map((e) => e.status), ['success', 'skipped', 'success'])
  const logs = await get<{ items: { level: string; message: string }[]; total: number }>('/api/tasks/1/logs')
  t.equal(logs.total, 6)
  t.match(logs.items, [{ level: 'info', message: /^\$ mkdir -p / }, { level: 'info', message: 'RUNS=3' },
    { level: 'warning', message: 'a note on stderr' }])
  t.match(logs.items.at(-1), { level: 'debug', message: 'a debug line' })
  const errors = await get<{ items: { level: string }[] }>('/api/tasks/2/logs?level=error')
  t.match(errors.items, [{ level: 'error', message: 'an error line' }])

  const types = new Set<string>()
  for (const id of [1, 2]) {
    const events = await get<{ items: { type: string; seq: number }[] }>(`/api/tasks/${id}/events`)
    t.same(events.items.map((e) => e.seq), events.items.map((_, i) => i + 1), `task ${id}: every seq, in order`)
    for (const event of events.items) types.add(event.type)
  }
  t.same([...types].sort(), [...taskEventTypes].sort(), 'events of every type read back')

  const artifacts = await get<{ items: { id: number; name: string; size: number; sha256: string }[] }>('/api/tasks/1/artifacts')
  t.match(artifacts.items, [{ name: 'report.txt', size: 18 }])
  const token = signToken(SECRET, { userId: 'alice', role: 'user' }, 600)
  const file = await fetch(`${server.base}/api/artifacts/${artifacts.items[0]!.id}`, { headers: { authorization: `Bearer ${token}` } })
  t.equal(file.status, 200)
  t.equal(await file.text(), 'report for 250701\n', 'the artifact file is served')

  const outputs = await get<{ items: { output_name: string; value: unknown }[] }>(`/api/executions/1/outputs`)
  t.match(outputs.items, [{ output_name: 'runs', value: '3' }])
  const workflows = await get<{ items: { name: string }[] }>('/api/workflows')
  t.same(workflows.items.map((w) => w.name).sort(), ['fixture_failing', 'fixture_hold', 'fixture_report', 'fixture_review'])
})
