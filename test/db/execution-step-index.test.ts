import t from 'tap'
import SQLite from 'better-sqlite3'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openDatabase } from '../../src/db/connect.js'
import { countAttempts, latestExecutionOf } from '../../src/db/execution-repository.js'
import { migrate, schemaVersion } from '../../src/db/migrate.js'
import { migrations } from '../../src/db/migrations/index.js'
import { dumpDatabase } from '../helpers/db.js'

/**
 * 0009 on a database the previous release (migrations 0001-0008) made, with a task that ran many steps and
 * retried one: every row stays, and a step's latest attempt is found by one seek of the new index.
 */

const previous = migrations.slice(0, migrations.findIndex((m) => m.name === '0009-execution-step-index'))

t.test('the previous release\'s database gains the index, keeps every row, and a step start reads by it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'topup-0009-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'topup.db')
  const old = new SQLite(file)
  migrate(old, previous)
  t.equal(schemaVersion(old), 8, 'made at the previous release\'s schema version')
  const workflowId = Number(old.prepare(`INSERT INTO workflows (name, display_name, version, definition, definition_hash)
    VALUES ('w', 'w', '1', '{}', 'x')`).run().lastInsertRowid)
  const taskId = Number(old.prepare(`INSERT INTO tasks (user_id, workflow_id, workflow_name, workflow_snapshot, task_name)
    VALUES ('alice', ?, 'w', '{}', 't')`).run(workflowId).lastInsertRowid)
  const execution = old.prepare(`INSERT INTO task_executions (task_id, step_name, step_display_name, step_type, step_order, status, attempt)
    VALUES (?, ?, ?, 'exec', ?, ?, ?)`)
  for (let i = 0; i < 60; i++) execution.run(taskId, `s${i}`, `step ${i}`, i, 'success', 1)
  execution.run(taskId, 's7', 'step 7', 7, 'failed', 2)
  execution.run(taskId, 's7', 'step 7', 7, 'success', 3)
  const before = dumpDatabase(old)
  old.close()

  const { db, sqlite } = openDatabase(file)
  t.teardown(() => db.destroy())
  t.equal(schemaVersion(sqlite), migrations.length)
  const after = dumpDatabase(sqlite)
  for (const table of ['workflows', 'task_executions', 'sqlite_sequence']) t.same(after[table], before[table], `${table}: every row`)
  // 0010 moved the snapshot to task_snapshots
  t.same(after.tasks, (before.tasks as Record<string, unknown>[]).map(({ workflow_snapshot: _, ...row }) => row), 'tasks: every row')
  t.same(after.task_snapshots, [{ task_id: taskId, workflow_snapshot: '{}' }])

  t.match(await latestExecutionOf(db, taskId, 's7'), { step_name: 's7', attempt: 3, status: 'success' }, 'the latest attempt of a retried step')
  t.equal(await countAttempts(db, taskId, 's7'), 3)
  t.equal(await latestExecutionOf(db, taskId, 'never'), undefined, 'none for a step not yet run')
  const plan = (query: string) => (sqlite.prepare(`EXPLAIN QUERY PLAN ${query}`).all(taskId, 's7') as { detail: string }[]).map((r) => r.detail)
  t.same(plan(`SELECT * FROM task_executions WHERE task_id = ? AND step_name = ? ORDER BY id DESC LIMIT 1`),
    ['SEARCH task_executions USING INDEX idx_executions_step (task_id=? AND step_name=?)'], 'the latest attempt: one seek, no sort')
  t.same(plan(`SELECT count(*) FROM task_executions WHERE task_id = ? AND step_name = ?`),
    ['SEARCH task_executions USING COVERING INDEX idx_executions_step (task_id=? AND step_name=?)'], 'the count: the index alone')
})
