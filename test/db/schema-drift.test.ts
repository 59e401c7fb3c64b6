import t from 'tap'
import SQLite from 'better-sqlite3'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { applySchema, openDatabase } from '../../src/db/connect.js'
import { tables, type ColumnKind } from '../../src/db/tables.js'

interface PragmaColumn { name: string; type: string; notnull: number; dflt_value: string | null; pk: number }
interface Shape { affinity: string; notNull: boolean; hasDefault: boolean }

/** What a column kind of tables.ts promises about the DDL. */
function expected(kind: ColumnKind): Shape {
  if (kind === 'id') return { affinity: 'INTEGER', notNull: false, hasDefault: false }
  const base = kind.replace(/[?=]$/, '')
  return {
    affinity: base === 'int' ? 'INTEGER' : base === 'real' ? 'REAL' : 'TEXT',
    notNull: !kind.endsWith('?'),
    hasDefault: kind.endsWith('='),
  }
}

function actual(column: PragmaColumn): Shape {
  // An INTEGER PRIMARY KEY is the rowid: SQLite reports it nullable, as tables.ts' `id` kind expects.
  const rowid = column.pk === 1 && column.type.toUpperCase() === 'INTEGER' && column.name === 'id'
  return { affinity: column.type.toUpperCase(), notNull: rowid ? false : column.notnull === 1, hasDefault: column.dflt_value !== null }
}

const dir = mkdtempSync(join(tmpdir(), 'topup-drift-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

t.test('tables.ts and schema.sql describe the same columns', async (t) => {
  const { db, sqlite } = openDatabase(join(dir, 'drift.db'))
  t.teardown(() => db.destroy())
  const sqlTables = (sqlite.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)
    .all() as { name: string }[]).map((r) => r.name).sort()
  t.same(sqlTables, Object.keys(tables).sort(), 'the same tables')
  for (const [table, columns] of Object.entries(tables)) {
    const info = sqlite.prepare(`PRAGMA table_info(${table})`).all() as PragmaColumn[]
    t.same(info.map((c) => c.name).sort(), Object.keys(columns).sort(), `${table}: the same column names`)
    for (const column of info) {
      const kind = (columns as Record<string, ColumnKind>)[column.name]
      if (!kind) continue
      // An `id` column must really be the autoincrement key.
      if (kind === 'id') t.equal(column.pk, 1, `${table}.${column.name} is the primary key`)
      t.same(actual(column), expected(kind), `${table}.${column.name} (${kind})`)
    }
  }
})

t.test('the comparison notices a drifted column', async (t) => {
  const sqlite = new SQLite(join(dir, 'drifted.db'))
  t.teardown(() => sqlite.close())
  applySchema(sqlite)
  sqlite.exec(`ALTER TABLE tasks ADD COLUMN surprise TEXT`)
  const info = sqlite.prepare(`PRAGMA table_info(tasks)`).all() as PragmaColumn[]
  t.not(info.map((c) => c.name).sort().join(), Object.keys(tables.tasks).sort().join())
  const status = info.find((c) => c.name === 'status')!
  t.notSame(actual({ ...status, notnull: 0 }), expected(tables.tasks.status))
})

t.test('applying the schema twice is harmless and records the version', async (t) => {
  const file = join(dir, 'twice.db')
  openDatabase(file).sqlite.close()
  const { db, sqlite } = openDatabase(file)
  t.teardown(() => db.destroy())
  const row = sqlite.prepare(`SELECT value FROM schema_meta WHERE key = 'schema_version'`).get() as { value: string }
  t.match(row.value, /^\d+$/)
  t.equal(sqlite.pragma('journal_mode', { simple: true }), 'wal')
  t.equal(sqlite.pragma('foreign_keys', { simple: true }), 1)
})
