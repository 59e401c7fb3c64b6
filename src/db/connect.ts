import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import SQLite from 'better-sqlite3'
import { Kysely } from 'kysely'
import { migrate } from './migrate.js'
import { TransactionSafeSqliteDialect, type SqliteDialectOptions } from './sqlite-dialect.js'
import type { Database } from './tables.js'

export type Db = Kysely<Database>

/**
 * Opens (creating if needed) the SQLite file and runs the pending migrations before anything else can touch it;
 * a failed migration or a database newer than this program throws MigrationError, and the file stays as it was.
 * WAL lets readers run beside the one writer; the busy timeout covers a second process (a CLI command) touching
 * the same file. `options.statementCache` sizes the prepared-statement cache (the bench compares it with none).
 */
export function openDatabase(file: string, options: SqliteDialectOptions = {}): { db: Db; sqlite: SQLite.Database } {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true })
  const sqlite = new SQLite(file)
  try {
    sqlite.pragma('busy_timeout = 5000')
    sqlite.pragma('journal_mode = WAL')
    sqlite.pragma('synchronous = NORMAL')
    sqlite.pragma('foreign_keys = ON')
    migrate(sqlite)
  } catch (error) {
    sqlite.close()
    throw error
  }
  const db = new Kysely<Database>({ dialect: new TransactionSafeSqliteDialect(sqlite, options) })
  return { db, sqlite }
}
