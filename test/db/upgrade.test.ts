import t from 'tap'
import SQLite from 'better-sqlite3'
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { signToken } from '../../src/auth/token.js'
import { openDatabase } from '../../src/db/connect.js'
import { migrations } from '../../src/db/migrations/index.js'
import { describeSchema, dumpDatabase, releaseFixtureDir, schemaSql, type ReleaseFixtureName } from '../helpers/db.js'
import { SECRET, startServerProcess } from '../helpers/server-process.js'

/**
 * A user upgrades: the database a past release left (test/fixtures/db/release-N, tasks in every status, some
 * frozen mid-run as a crash leaves them) is opened by this code. Nothing may be lost, and all of it must read
 * back through the API. Every release fixture goes through the same checks, with what its generator left.
 */

/** A cluster job as the API lists it. */
interface Job { job_id: string; state: string; exit_code: number | null; reason: string | null; held_by_service: boolean }

interface Release {
  fixture: ReleaseFixtureName
  schemaVersion: number
  /** Rows per table after the upgrade, of the tables the fixture's data lives in. */
  counts: Record<string, number>
  /** What task 1 (fixture_report) was started with: its report says the date, its output is the runs. */
  report: { date: string; runs: number }
  /** Every task's status once the new server has recovered, and the queued task 9 has run. */
  recovered: Record<number, string>
  /** Why some of them are so, then. */
  reasons: Record<number, RegExp>
  /** The event types the release stored (log lines read back as `log`); its fixture holds each of them. */
  eventTypes: string[]
  /** Each task's cluster jobs, in the order they were recorded (a task not named has none). */
  jobs: Record<number, Job[]>
  /** Each task's concurrency key (a task not named has none). */
  concurrencyKeys: Record<number, string>
}

/**
 * What make-release-1.mjs, make-release-2.mjs and make-release-3.mjs all leave as tasks 1-10: they drive the same
 * tasks through the same steps. The first two releases record them in as many rows and stored event types.
 */
const firstTasks: Pick<Release, 'recovered' | 'reasons' | 'eventTypes'> = {
  recovered: {
    1: 'success', 2: 'failed', 3: 'paused', 4: 'cancelled', 5: 'cancelled',
    6: 'paused', 7: 'paused', 8: 'cancelled', 9: 'success', 10: 'pending',
  },
  reasons: { 6: /^interrupted by restart during step hold$/ },
  eventTypes: ['task.status', 'task.progress', 'step.started', 'step.finished', 'step.retry', 'step.output', 'log'],
}
const firstCounts = {
  workflows: 4, workflow_steps: 8, tasks: 10, task_executions: 11, step_outputs: 5, task_logs: 25, task_events: 63,
  task_parameters: 8, host_keys: 1,
}
const noJobs: Pick<Release, 'jobs' | 'concurrencyKeys'> = { jobs: {}, concurrencyKeys: {} }

const job = (job_id: string, state: string, more: Partial<Job> = {}): Job =>
  ({ job_id, state, exit_code: null, reason: null, held_by_service: false, ...more })

/**
 * The third release adds tasks 11-18 of fixture_cluster (two jobs each on the stand-in cluster, a concurrency key
 * a day; make-release-3.mjs tells what each went through). Task 17 was frozen in its wait, whose max_wait_minutes
 * (5) counts from when the wait began: every start since then finds that time long past, so the wait gives up
 * and the task fails saying so (its jobs, on a cluster that is gone, cannot be removed and stay as last seen);
 * task 18 keeps waiting for task 14, paused, of its key.
 */
const release3: Release = {
  fixture: 'release-3', schemaVersion: 4, report: { date: '250703', runs: 5 },
  counts: {
    workflows: 5, workflow_steps: 10, tasks: 18, task_executions: 25, step_outputs: 21, task_logs: 75, task_events: 184,
    task_parameters: 40, host_keys: 1, remote_jobs: 15,
  },
  recovered: { ...firstTasks.recovered, 11: 'success', 12: 'failed', 13: 'cancelled', 14: 'paused', 15: 'failed',
    16: 'paused', 17: 'failed', 18: 'queued' },
  reasons: {
    ...firstTasks.reasons,
    12: /job 4\.0 failed with exit code 3/, 15: /job 900\.0 is lost/,
    17: /^step wait failed: gave up after [\d.]+ s: 0\/2 done, 2 queued$/,
    18: /^waiting for task 14 of cluster-250704, paused for review$/,
  },
  eventTypes: [...firstTasks.eventTypes, 'job.state'],
  jobs: {
    11: [job('1.0', 'completed', { exit_code: 0 }), job('2.0', 'completed', { exit_code: 0 })],
    12: [job('3.0', 'completed', { exit_code: 0 }), job('4.0', 'failed', { exit_code: 3 })],
    13: [job('5.0', 'removed'), job('6.0', 'removed')],
    14: [job('7.0', 'running'), job('8.0', 'held')],
    15: [job('9.0', 'completed', { exit_code: 0 }), job('10.0', 'completed', { exit_code: 0 }),
      job('900.0', 'lost', { reason: 'neither the queue nor the history knows it' })],
    16: [job('11.0', 'held', { held_by_service: true }), job('12.0', 'held', { held_by_service: true })],
    17: [job('13.0', 'queued'), job('14.0', 'queued')],
  },
  concurrencyKeys: {
    11: 'cluster-250701', 12: 'cluster-250702', 13: 'cluster-250703', 14: 'cluster-250704', 15: 'cluster-250705',
    16: 'cluster-250706', 17: 'cluster-250707', 18: 'cluster-250704',
  },
}

const releases: Release[] = [
  { fixture: 'release-1', schemaVersion: 1, report: { date: '250701', runs: 3 }, counts: firstCounts, ...firstTasks, ...noJobs },
  { fixture: 'release-2', schemaVersion: 2, report: { date: '250702', runs: 4 }, counts: firstCounts, ...firstTasks, ...noJobs },
  release3,
]

/** Columns a migration moved to a table of their own, where each now is (by the row's id). */
const moved: Record<string, { table: string; key: string; column: string }> = {
  'tasks.workflow_snapshot': { table: 'task_snapshots', key: 'task_id', column: 'workflow_snapshot' },
}

const dir = mkdtempSync(join(tmpdir(), 'topup-upgrade-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

/** A copy of the fixture as DATA_DIR `<home>/data`, its workflows in `<home>/workflows`. */
function copyFixture(fixture: ReleaseFixtureName, name: string): string {
  const home = join(dir, fixture, name)
  cpSync(releaseFixtureDir(fixture), join(home, 'data'), { recursive: true })
  cpSync(join(home, 'data', 'workflows'), join(home, 'workflows'), { recursive: true })
  rmSync(join(home, 'data', 'workflows'), { recursive: true })
  return home
}

for (const release of releases) {
  t.test(`${release.fixture}: the migrations keep every row of the release's database as it was`, async (t) => {
    const file = join(copyFixture(release.fixture, 'rows'), 'data', 'topup.db')
    const old = new SQLite(file, { readonly: true })
    const before = dumpDatabase(old)
    old.close()
    t.same(before.schema_meta, [{ key: 'schema_version', value: String(release.schemaVersion) }],
      `the fixture is at version ${release.schemaVersion}`)

    const { db, sqlite } = openDatabase(file)
    t.teardown(() => db.destroy())
    const after = dumpDatabase(sqlite)
    for (const [table, count] of Object.entries(release.counts)) t.equal(after[table]?.length, count, `${table}: ${count} rows`)
    // Every table the release had keeps its rows; one a migration dropped must have held none. A table added
    // since is the schema check's business; a column added since holds nothing in the release's rows; a column
    // moved to a table of its own (`moved`) is there, row for row.
    for (const [from, to] of Object.entries(moved)) {
      const [table, column] = from.split('.') as [string, string]
      const kept = new Map((after[to.table] as Record<string, unknown>[]).map((row) => [row[to.key], row[to.column]]))
      const old = before[table] as Record<string, unknown>[]
      t.same(old.map((row) => kept.get(row.id)), old.map((row) => row[column]), `${from} is in ${to.table}.${to.column}, every value`)
      for (const row of old) delete row[column]
    }
    for (const table of Object.keys(before)) {
      if (table === 'sqlite_master' || table === 'schema_meta') continue
      const rows = after[table] as Record<string, unknown>[] | undefined
      if (!rows) {
        t.same(before[table], [], `${table} is dropped, and it held nothing`)
        continue
      }
      const old = (before[table] as Record<string, unknown>[])
      const columns = Object.keys(old[0] ?? {})
      t.same(rows.map((row) => Object.fromEntries(columns.map((c) => [c, row[c]]))), old, `${table}: every row, every value`)
      const added = rows.flatMap((row) => Object.entries(row).filter(([c]) => !columns.includes(c)).map(([, value]) => value))
      t.ok(added.every((value) => value === null), `${table}: the columns added since are NULL`)
    }
    const movedTo = new Set(Object.values(moved).map((to) => to.table))
    for (const table of Object.keys(after).filter((name) => !(name in before) && !movedTo.has(name))) {
      t.same(after[table], [], `${table} is added since, and holds nothing`)
    }
    t.same(after.schema_meta, [{ key: 'schema_version', value: String(migrations.length) }])
    const reference = new SQLite(':memory:')
    t.teardown(() => reference.close())
    reference.exec(schemaSql)
    t.same(describeSchema(sqlite), describeSchema(reference), 'and the schema is exactly schema.sql')
  })

  t.test(`${release.fixture}: the new server starts on the release's database, recovers it truthfully and serves all of it`, async (t) => {
    const home = copyFixture(release.fixture, 'server')
    // Polls of the cluster the release's jobs ran on (gone with its generator) fail at once.
    const server = await startServerProcess(t, home, {
      WORKFLOWS_DIR: join(home, 'workflows'), JOB_POLL_MIN_SECONDS: '0.1', JOB_POLL_MAX_SECONDS: '0.2', JOB_POLL_FAILURES: '1',
    })
    const get = async <T = Record<string, unknown>>(path: string) => {
      const res = await server.api<T>('GET', path)
      t.equal(res.status, 200, `GET ${path}`)
      return res.body
    }

    // The queued task runs now (its hold file does not exist here, so it goes straight through); so do the waits.
    for (const [id, status] of Object.entries(release.recovered)) await server.waitForStatus(Number(id), [status])
    const ids = Object.keys(release.recovered).map(Number)
    const list = await get<{ items: { id: number; status: string; status_reason: string | null }[]; total: number }>('/api/tasks')
    t.equal(list.total, ids.length)
    const status = Object.fromEntries(list.items.map((task) => [task.id, task.status]))
    t.same(status, release.recovered, 'running and pausing were paused for a person, cancelling finished, the rest kept their status')
    for (const [id, reason] of Object.entries(release.reasons)) {
      t.match(list.items.find((task) => task.id === Number(id))?.status_reason, reason, `task ${id}: its reason`)
    }
    for (const id of [6, 7, 8]) {
      const executions = await get<{ items: { status: string }[] }>(`/api/tasks/${id}/executions`)
      t.notOk(executions.items.some((e) => e.status === 'running'), `task ${id}: no execution is left running`)
    }

    const types = new Set<string>()
    for (const id of ids) {
      const task = await get<{ concurrency_key: string | null; created_by: string | null; progress: { jobs: { total: number } } }>(`/api/tasks/${id}`)
      t.same({ concurrency_key: task.concurrency_key, created_by: task.created_by },
        { concurrency_key: release.concurrencyKeys[id] ?? null, created_by: null },
        `task ${id}: its concurrency key; no one is named as its maker, as none was then`)
      const jobs = await get<{ items: Job[]; total: number }>(`/api/tasks/${id}/jobs`)
      const want = release.jobs[id] ?? []
      t.same(jobs.items.map((j) => ({ job_id: j.job_id, state: j.state, exit_code: j.exit_code, reason: j.reason,
        held_by_service: j.held_by_service })), want, `task ${id}: its cluster jobs, as the batch system last said`)
      t.equal(task.progress.jobs.total, want.length)
      const events = await get<{ items: { type: string; seq: number; data: { job_id?: string; state?: string } }[] }>(
        `/api/tasks/${id}/events?limit=1000`)
      t.same(events.items.map((e) => e.seq), events.items.map((_, i) => i + 1), `task ${id}: every seq, in order`)
      for (const event of events.items) types.add(event.type)
      const lastState = new Map(events.items.filter((e) => e.type === 'job.state').map((e) => [e.data.job_id, e.data.state]))
      t.same(Object.fromEntries(lastState), Object.fromEntries(want.map((j) => [j.job_id, j.state])),
        `task ${id}: each job's last job.state event says its state`)
    }
    t.same([...types].sort(), [...release.eventTypes].sort(), 'events of every type the release stored read back')

    const { date, runs } = release.report
    const detail = await get(`/api/tasks/1`)
    t.match(detail, {
      id: 1, status: 'success', workflow_name: 'fixture_report', user_id: 'alice',
      parameters: { date_param: date, runs, with_notes: false, mode: 'full' },
    })
    const executions = await get<{ items: { status: string }[] }>('/api/tasks/1/executions')
    t.same(executions.items.map((e) => e.status), ['success', 'skipped', 'success'])
    const logs = await get<{ items: { level: string; message: string }[]; total: number }>('/api/tasks/1/logs')
    t.equal(logs.total, 6)
    t.match(logs.items, [{ level: 'info', message: /^\$ mkdir -p / }, { level: 'info', message: `RUNS=${runs}` },
      { level: 'warning', message: 'a note on stderr' }])
    t.match(logs.items.at(-1), { level: 'debug', message: 'a debug line' })
    const errors = await get<{ items: { level: string }[] }>('/api/tasks/2/logs?level=error')
    t.match(errors.items, [{ level: 'error', message: 'an error line' }])

    const artifacts = await get<{ items: { id: number; name: string; size: number; sha256: string }[] }>('/api/tasks/1/artifacts')
    const report = `report for ${date}\n`
    t.match(artifacts.items, [{ name: 'report.txt', size: report.length }])
    const token = signToken(SECRET, { userId: 'alice', role: 'user' }, 600)
    const file = await fetch(`${server.base}/api/artifacts/${artifacts.items[0]!.id}`, { headers: { authorization: `Bearer ${token}` } })
    t.equal(file.status, 200)
    t.equal(await file.text(), report, 'the artifact file is served')

    const outputs = await get<{ items: { output_name: string; value: unknown }[] }>(`/api/executions/1/outputs`)
    t.match(outputs.items, [{ output_name: 'runs', value: String(runs) }])
    const workflows = await get<{ items: { name: string }[] }>('/api/workflows')
    t.same(workflows.items.map((w) => w.name).sort(), readdirSync(join(home, 'workflows')).map((f) => f.replace(/\.json$/, '')).sort())
  })
}
