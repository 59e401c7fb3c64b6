import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type SQLite from 'better-sqlite3'
import { openDatabase, type Db } from '../../src/db/connect.js'

interface Teardown { teardown(fn: () => unknown): void }

/** A fresh SQLite file (every migration run) in its own temp folder, removed when the test ends. */
export function freshDatabase(t: Teardown): { db: Db; dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'topup-test-'))
  const file = join(dir, 'topup.db')
  const { db } = openDatabase(file)
  t.teardown(async () => {
    await db.destroy()
    rmSync(dir, { recursive: true, force: true })
  })
  return { db, dir, file }
}

/** schema.sql, the readable DDL the migrations must produce. */
export const schemaSql = readFileSync(new URL('../../schema.sql', import.meta.url), 'utf8')

export interface ColumnShape { name: string; type: string; notnull: number; dflt_value: string | null; pk: number }

export interface TableShape {
  columns: ColumnShape[]
  autoincrement: boolean
  /** Each `CHECK (...)` of the CREATE TABLE, whitespace collapsed. */
  checks: string[]
  foreignKeys: Record<string, unknown>[]
  /** Named indexes by name; the automatic ones of PRIMARY KEY/UNIQUE by their columns (their names are SQLite's). */
  indexes: { name: string | null; unique: number; origin: string; partial: number; columns: string[] }[]
}

/**
 * What SQLite reports about every table (columns in order with type, default, NOT NULL and key; CHECKs; foreign
 * keys; indexes), so two databases can be compared however their DDL text was formatted or renamed.
 */
export function describeSchema(sqlite: SQLite.Database): Record<string, TableShape> {
  const tables = sqlite.prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
    .all() as { name: string; sql: string }[]
  return Object.fromEntries(tables.map(({ name, sql }) => {
    const indexes = (sqlite.pragma(`index_list("${name}")`) as { name: string; unique: number; origin: string; partial: number }[])
      .map((index) => ({
        name: index.origin === 'c' ? index.name : null, unique: index.unique, origin: index.origin, partial: index.partial,
        columns: (sqlite.pragma(`index_info("${index.name}")`) as { name: string }[]).map((c) => c.name),
      }))
      .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))
    const shape: TableShape = {
      columns: sqlite.pragma(`table_info("${name}")`) as ColumnShape[],
      autoincrement: /\bAUTOINCREMENT\b/i.test(sql),
      checks: checksOf(sql),
      foreignKeys: sqlite.pragma(`foreign_key_list("${name}")`) as Record<string, unknown>[],
      indexes,
    }
    return [name, shape]
  }))
}

/** The text inside each CHECK ( … ) of a CREATE TABLE statement, comments dropped and whitespace collapsed. */
export function checksOf(createSql: string): string[] {
  const sql = createSql.replace(/--[^\n]*/g, '')
  const checks: string[] = []
  for (const match of sql.matchAll(/\bCHECK\s*\(/gi)) {
    let depth = 1
    let i = match.index + match[0].length
    const start = i
    for (; i < sql.length && depth > 0; i++) {
      if (sql[i] === '(') depth++
      else if (sql[i] === ')') depth--
    }
    checks.push(sql.slice(start, i - 1).replace(/\s+/g, ' ').trim())
  }
  return checks
}

/**
 * Every row of every table (sqlite_sequence and sqlite_master included), in rowid order: the data, comparable.
 * sqlite_sequence is ordered by table name, since a table rebuild moves its counter's row without changing it.
 */
export function dumpDatabase(sqlite: SQLite.Database): Record<string, unknown[]> {
  const tables = (sqlite.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).all() as { name: string }[])
    .map((r) => r.name)
  return Object.fromEntries([...tables, 'sqlite_master'].map((name) =>
    [name, sqlite.prepare(`SELECT * FROM "${name}" ORDER BY ${name === 'sqlite_sequence' ? 'name' : 'rowid'}`).all()]))
}

/**
 * A DATA_DIR written by a past release: topup.db, artifacts/, and the workflows its tasks ran in workflows/.
 * `release-1` is the first release's (commit ec4a3e6, before migrations, schema_version 1), `release-2` that of
 * commit 611e4a1 (schema_version 2), `release-3` that of commit 11e096b (schema_version 4). Each is made by
 * make-<name>.mjs beside it; copy it before use.
 */
export type ReleaseFixtureName = 'release-1' | 'release-2' | 'release-3'
export const releaseFixtureDir = (name: ReleaseFixtureName): string =>
  fileURLToPath(new URL(`../fixtures/db/${name}/`, import.meta.url))
export const releaseFixture = releaseFixtureDir('release-1')
export const releaseDatabase = join(releaseFixture, 'topup.db')
