import t from 'tap'
import SQLite from 'better-sqlite3'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openDatabase } from '../../src/db/connect.js'
import { migrations } from '../../src/db/migrations/index.js'
import { enums, tables, type ColumnKind, type EnumKind } from '../../src/db/tables.js'
import { executionStatuses, logLevels, taskEventTypes, taskStatuses } from '../../src/domain.js'
import { checksOf, describeSchema, schemaSql, type ColumnShape } from '../helpers/db.js'

interface Shape { affinity: string; notNull: boolean; hasDefault: boolean }

const baseOf = (kind: ColumnKind) => kind.replace(/[?=]$/, '')
const isEnum = (base: string): base is EnumKind => base in enums

/** What a column kind of tables.ts promises about the DDL. */
function expected(kind: ColumnKind): Shape {
  if (kind === 'id') return { affinity: 'INTEGER', notNull: false, hasDefault: false }
  const base = baseOf(kind)
  return {
    affinity: base === 'int' ? 'INTEGER' : base === 'real' ? 'REAL' : 'TEXT',
    notNull: !kind.endsWith('?'),
    hasDefault: kind.endsWith('='),
  }
}

function actual(column: ColumnShape): Shape {
  // An INTEGER PRIMARY KEY is the rowid: SQLite reports it nullable, as tables.ts' `id` kind expects.
  const rowid = column.pk === 1 && column.type.toUpperCase() === 'INTEGER' && column.name === 'id'
  return { affinity: column.type.toUpperCase(), notNull: rowid ? false : column.notnull === 1, hasDefault: column.dflt_value !== null }
}

/** `status IN ('a', 'b')` → { column: 'status', values: ['a', 'b'] }; anything else → null. */
function inList(check: string): { column: string; values: string[] } | null {
  const match = /^(\w+) IN \((.*)\)$/.exec(check)
  if (!match) return null
  return { column: match[1]!, values: match[2]!.split(',').map((v) => v.trim().replace(/^'(.*)'$/, '$1')) }
}

const dir = mkdtempSync(join(tmpdir(), 'topup-drift-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

/** schema.sql run as it is, in a database of its own. */
function schemaSqlDatabase(): SQLite.Database {
  const sqlite = new SQLite(':memory:')
  sqlite.exec(schemaSql)
  return sqlite
}

t.test('running every migration builds exactly schema.sql', async (t) => {
  const { db, sqlite } = openDatabase(join(dir, 'migrated.db'))
  t.teardown(() => db.destroy())
  const reference = schemaSqlDatabase()
  t.teardown(() => reference.close())
  const migrated = describeSchema(sqlite)
  const written = describeSchema(reference)
  t.same(Object.keys(migrated), Object.keys(written), 'the same tables')
  for (const [table, shape] of Object.entries(written)) {
    t.same(migrated[table], shape, `${table}: columns, key, CHECKs, foreign keys and indexes`)
  }
})

t.test('tables.ts and the database describe the same columns', async (t) => {
  const { db, sqlite } = openDatabase(join(dir, 'drift.db'))
  t.teardown(() => db.destroy())
  const schema = describeSchema(sqlite)
  t.same(Object.keys(schema).sort(), Object.keys(tables).sort(), 'the same tables')
  for (const [table, columns] of Object.entries(tables)) {
    const info = schema[table]!.columns
    t.same(info.map((c) => c.name).sort(), Object.keys(columns).sort(), `${table}: the same column names`)
    for (const column of info) {
      const kind = (columns as Record<string, ColumnKind>)[column.name]
      if (!kind) continue
      // An `id` column must really be the autoincrement key.
      if (kind === 'id') t.equal(column.pk, 1, `${table}.${column.name} is the primary key`)
      t.same(actual(column), expected(kind), `${table}.${column.name} (${kind})`)
    }
    // Each enum column has its CHECK with exactly its values, and no other column has one.
    const checked = Object.fromEntries(schema[table]!.checks.map((check) => {
      const list = inList(check)
      t.ok(list, `${table}: CHECK (${check}) is a column IN (values) list`)
      return [list?.column, list?.values]
    }))
    const enumColumns = Object.entries(columns as Record<string, ColumnKind>)
      .flatMap(([name, kind]) => { const base = baseOf(kind); return isEnum(base) ? [[name, [...enums[base]]]] : [] })
    t.same(checked, Object.fromEntries(enumColumns), `${table}: the CHECKs are the enum columns' values`)
  }
})

t.test('schema.sql\'s CHECK lists are the lists of src/domain.ts', async (t) => {
  const reference = schemaSqlDatabase()
  t.teardown(() => reference.close())
  const listOf = (table: string) => {
    const { sql } = reference.prepare(`SELECT sql FROM sqlite_master WHERE name = ?`).get(table) as { sql: string }
    return checksOf(sql).map(inList)
  }
  t.same(listOf('tasks'), [{ column: 'status', values: [...taskStatuses] }])
  t.same(listOf('task_executions'), [{ column: 'status', values: [...executionStatuses] }])
  t.same(listOf('task_logs'), [{ column: 'level', values: [...logLevels] }])
  t.same(listOf('task_events'), [{ column: 'type', values: taskEventTypes.filter((type) => type !== 'log') }],
    'task_events: every event type but log (lines live in task_logs)')
})

t.test('the comparison notices a drifted column', async (t) => {
  const { db, sqlite } = openDatabase(join(dir, 'drifted.db'))
  t.teardown(() => db.destroy())
  sqlite.exec(`ALTER TABLE tasks ADD COLUMN surprise TEXT`)
  const info = describeSchema(sqlite).tasks!.columns
  t.not(info.map((c) => c.name).sort().join(), Object.keys(tables.tasks).sort().join())
  const status = info.find((c) => c.name === 'status')!
  t.notSame(actual({ ...status, notnull: 0 }), expected(tables.tasks.status))
  const reference = schemaSqlDatabase()
  t.teardown(() => reference.close())
  t.notSame(describeSchema(sqlite).tasks, describeSchema(reference).tasks)
})

t.test('opening twice is harmless and records the last migration', async (t) => {
  const file = join(dir, 'twice.db')
  openDatabase(file).sqlite.close()
  const { db, sqlite } = openDatabase(file)
  t.teardown(() => db.destroy())
  const row = sqlite.prepare(`SELECT value FROM schema_meta WHERE key = 'schema_version'`).get() as { value: string }
  t.equal(row.value, String(migrations.length))
  t.equal(sqlite.pragma('journal_mode', { simple: true }), 'wal')
  t.equal(sqlite.pragma('foreign_keys', { simple: true }), 1)
})
