import t from 'tap'
import SQLite from 'better-sqlite3'
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { openDatabase } from '../../src/db/connect.js'
import { migrate, MigrationError, schemaVersion } from '../../src/db/migrate.js'
import type { Migration } from '../../src/db/migrations/migration.js'
import { migrations } from '../../src/db/migrations/index.js'
import { startServerProcess } from '../helpers/server-process.js'
import { dumpDatabase, releaseDatabase } from '../helpers/db.js'

const dir = mkdtempSync(join(tmpdir(), 'topup-migrate-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
let files = 0
const newFile = () => join(dir, `db-${++files}.db`)

/** Does real damage first, then fails: nothing of it may stay. */
const failing: Migration = {
  name: `${String(migrations.length + 1).padStart(4, '0')}-fails-halfway`,
  sql: `
    DROP TABLE task_logs;
    UPDATE tasks SET task_name = 'changed';
    CREATE TABLE half (x TEXT);
    INSERT INTO tasks (user_id) VALUES ('nobody');
  `,
}

/** A database at the last migration with a workflow, a task and a log line, closed (so the file is complete). */
function populated(file: string): void {
  const { sqlite } = openDatabase(file)
  sqlite.exec(`
    INSERT INTO workflows (name, display_name, version, definition, definition_hash) VALUES ('w', 'W', '1', '{}', 'h');
    INSERT INTO tasks (user_id, workflow_id, workflow_name, task_name, status) VALUES ('alice', 1, 'w', 'T', 'paused');
    INSERT INTO task_snapshots (task_id, workflow_snapshot) VALUES (1, '{}');
    INSERT INTO task_logs (task_id, seq, level, message) VALUES (1, 1, 'info', 'a line');
  `)
  sqlite.close()
}

t.test('the migrations are numbered from 0001 and every file of src/db/migrations/ is listed', async (t) => {
  t.same(migrations.map((m) => m.name.slice(0, 5)), migrations.map((_, i) => `${String(i + 1).padStart(4, '0')}-`))
  const folder = fileURLToPath(new URL('../../src/db/migrations/', import.meta.url))
  const files = readdirSync(folder).filter((f) => f !== 'index.ts' && f !== 'migration.ts').map((f) => f.replace(/\.ts$/, '')).sort()
  t.same(files, migrations.map((m) => m.name))
})

t.test('a failed migration leaves the file byte for byte as it was and names itself', async (t) => {
  const file = newFile()
  populated(file)
  const before = readFileSync(file)
  const sqlite = new SQLite(file)
  sqlite.pragma('foreign_keys = OFF')
  const data = dumpDatabase(sqlite)
  t.throws(() => migrate(sqlite, [...migrations, failing]), new MigrationError(
    `database migration ${failing.name} failed: NOT NULL constraint failed: tasks.workflow_id; `
    + `the database ${file} is unchanged (schema version ${migrations.length})`))
  t.same(dumpDatabase(sqlite), data, 'every row and the schema as they were')
  t.equal(sqlite.pragma('foreign_keys', { simple: true }), 0, 'foreign_keys is back as it was (off here)')
  sqlite.close()
  t.ok(readFileSync(file).equals(before), 'the file is byte for byte the same')
  const again = openDatabase(file)
  t.equal(schemaVersion(again.sqlite), migrations.length, 'and it opens normally')
  again.sqlite.close()
})

t.test('a failure rolls back the whole run: a release database stays at version 1, 0002 undone too', async (t) => {
  const file = newFile()
  copyFileSync(releaseDatabase, file)
  const before = readFileSync(file)
  const sqlite = new SQLite(file)
  sqlite.pragma('foreign_keys = ON')
  const data = dumpDatabase(sqlite)
  t.throws(() => migrate(sqlite, [...migrations, failing]), { name: 'MigrationError', message: /failed: .*unchanged \(schema version 1\)$/ })
  t.same(dumpDatabase(sqlite), data, 'remote_jobs and the tables without CHECKs are all still there')
  t.equal(sqlite.pragma('foreign_keys', { simple: true }), 1, 'foreign keys on again')
  sqlite.close()
  t.ok(readFileSync(file).equals(before), 'the file is byte for byte the same')
})

t.test('a database newer than the program refuses to open, untouched', async (t) => {
  const file = newFile()
  populated(file)
  const sqlite = new SQLite(file)
  sqlite.prepare(`UPDATE schema_meta SET value = ? WHERE key = 'schema_version'`).run(String(migrations.length + 1))
  sqlite.close()
  const before = readFileSync(file)
  t.throws(() => openDatabase(file), new MigrationError(`the database ${file} is at schema version ${migrations.length + 1}, `
    + `newer than this program (it knows ${migrations.length} migrations): run the Topup release that upgraded it, or restore a backup`))
  t.ok(readFileSync(file).equals(before))
})

t.test('the server refuses to start on a newer database with one line on stderr', async (t) => {
  const home = join(dir, 'server')
  mkdirSync(join(home, 'data'), { recursive: true })
  const file = join(home, 'data', 'topup.db')
  populated(file)
  const sqlite = new SQLite(file)
  sqlite.prepare(`UPDATE schema_meta SET value = '99' WHERE key = 'schema_version'`).run()
  sqlite.close()
  const failure = await startServerProcess(t, home).then(() => null, (error: Error) => error)
  t.ok(failure, 'it did not start')
  const [, code, stderr] = /^server exited with (\d+): ([\s\S]*)$/.exec(failure!.message) ?? []
  t.equal(code, '1')
  t.equal(stderr, `the database ${file} is at schema version 99, newer than this program (it knows ${migrations.length} `
    + 'migrations): run the Topup release that upgraded it, or restore a backup\n')
})

t.test('an upgrade keeps the AUTOINCREMENT counters: an id deleted before it is not handed out again', async (t) => {
  const file = newFile()
  const sqlite = new SQLite(file)
  migrate(sqlite, migrations.slice(0, 1))
  sqlite.exec(`
    INSERT INTO workflows (name, display_name, version, definition, definition_hash) VALUES ('w', 'W', '1', '{}', 'h');
    INSERT INTO tasks (user_id, workflow_id, workflow_name, workflow_snapshot, task_name)
      VALUES ('a', 1, 'w', '{}', 'one'), ('a', 1, 'w', '{}', 'two');
    DELETE FROM tasks WHERE id = 2;
  `)
  migrate(sqlite)
  const { lastInsertRowid } = sqlite.prepare(`INSERT INTO tasks (user_id, workflow_id, workflow_name, task_name)
    VALUES ('a', 1, 'w', 'three')`).run()
  t.equal(lastInsertRowid, 3)
  sqlite.close()
})

t.test('after the upgrade the CHECKs refuse unknown values and foreign keys still cascade', async (t) => {
  const file = newFile()
  populated(file)
  const { db, sqlite } = openDatabase(file)
  t.teardown(() => db.destroy())
  t.throws(() => sqlite.exec(`UPDATE tasks SET status = 'finished'`), { code: 'SQLITE_CONSTRAINT_CHECK' })
  t.throws(() => sqlite.exec(`INSERT INTO task_logs (task_id, seq, level, message) VALUES (1, 2, 'fatal', 'x')`),
    { code: 'SQLITE_CONSTRAINT_CHECK' })
  t.throws(() => sqlite.exec(`INSERT INTO task_events (task_id, seq, type, payload) VALUES (1, 3, 'log', '{}')`),
    { code: 'SQLITE_CONSTRAINT_CHECK' }, 'log lines belong in task_logs')
  t.throws(() => sqlite.exec(`INSERT INTO task_executions (task_id, step_name, step_display_name, step_type, step_order, status)
    VALUES (1, 's', 'S', 'exec', 1, 'done')`), { code: 'SQLITE_CONSTRAINT_CHECK' })
  t.throws(() => sqlite.exec(`INSERT INTO task_logs (task_id, seq, level, message) VALUES (42, 2, 'info', 'x')`),
    { code: 'SQLITE_CONSTRAINT_FOREIGNKEY' })
  sqlite.exec(`DELETE FROM tasks WHERE id = 1`)
  t.equal((sqlite.prepare(`SELECT count(*) AS n FROM task_logs`).get() as { n: number }).n, 0, 'ON DELETE CASCADE')
})
