import type SQLite from 'better-sqlite3'
import { migrations as allMigrations } from './migrations/index.js'
import type { Migration } from './migrations/migration.js'
import { messageOf } from '../errors.js'

/** A migration failed (the database is left as it was) or the database is newer than this program. One line. */
export class MigrationError extends Error {
  override name = 'MigrationError'
}

/**
 * How many migrations the database has run: schema_meta.schema_version, which the first release already wrote
 * as 1 (its schema.sql is migration 0001); 0 for a new database.
 */
export function schemaVersion(sqlite: SQLite.Database): number {
  const hasMeta = sqlite.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_meta'`).get()
  if (!hasMeta) return 0
  const row = sqlite.prepare(`SELECT value FROM schema_meta WHERE key = 'schema_version'`).get() as
    { value: string } | undefined
  if (!row) return 0
  if (!/^\d+$/.test(row.value)) throw new MigrationError(`${where(sqlite)} has an unreadable schema_version "${row.value}"`)
  return Number(row.value)
}

/**
 * Brings the database up to the last migration, all pending ones in one IMMEDIATE transaction (a second process
 * starting at the same moment waits, then finds nothing left to do): if any fails, nothing of the run stays.
 * Foreign keys are off while it runs, as SQLite's table-rebuild procedure requires (the pragma cannot change
 * inside a transaction), and checked with foreign_key_check before the commit. `migrations` is for tests.
 */
export function migrate(sqlite: SQLite.Database, migrations: readonly Migration[] = allMigrations): void {
  const known = migrations.length
  const tooNew = (version: number) => new MigrationError(`${where(sqlite)} is at schema version ${version}, newer than `
    + `this program (it knows ${known} migrations): run the Topup release that upgraded it, or restore a backup`)
  const current = schemaVersion(sqlite)
  if (current > known) throw tooNew(current)
  if (current === known) return
  const foreignKeys = sqlite.pragma('foreign_keys', { simple: true }) === 1
  sqlite.pragma('foreign_keys = OFF')
  try {
    sqlite.transaction(() => {
      const from = schemaVersion(sqlite)
      if (from > known) throw tooNew(from)
      for (const migration of migrations.slice(from)) {
        try {
          sqlite.exec(migration.sql)
          checkForeignKeys(sqlite)
        } catch (error) {
          throw new MigrationError(`database migration ${migration.name} failed: ${oneLine(error)}; `
            + `${where(sqlite)} is unchanged (schema version ${from})`)
        }
      }
      sqlite.prepare(`INSERT INTO schema_meta (key, value) VALUES ('schema_version', ?)
        ON CONFLICT (key) DO UPDATE SET value = excluded.value`).run(String(known))
    }).immediate()
  } finally {
    sqlite.pragma(`foreign_keys = ${foreignKeys ? 'ON' : 'OFF'}`)
  }
}

function checkForeignKeys(sqlite: SQLite.Database): void {
  const broken = sqlite.pragma('foreign_key_check') as { table: string; rowid: number; parent: string }[]
  const first = broken[0]
  if (first) {
    throw new Error(`${broken.length} row(s) break a foreign key, the first ${first.table} rowid ${first.rowid} → ${first.parent}`)
  }
}

function where(sqlite: SQLite.Database): string {
  return sqlite.name === ':memory:' ? 'the in-memory database' : `the database ${sqlite.name}`
}

function oneLine(error: unknown): string {
  return messageOf(error).replace(/\s+/g, ' ').trim()
}
