import { readFileSync, mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import SQLite from 'better-sqlite3'
import { Kysely, SqliteDialect } from 'kysely'
import type { Database } from './tables.js'

export type Db = Kysely<Database>

/** Bumped whenever schema.sql changes in a way an existing database must learn about. */
export const SCHEMA_VERSION = 1

const schemaFile = resolve(dirname(fileURLToPath(import.meta.url)), '../../schema.sql')

/**
 * Opens (creating if needed) the SQLite file and applies schema.sql. WAL lets readers run beside the one
 * writer; the busy timeout covers a second process (a CLI command) touching the same file.
 */
export function openDatabase(file: string): { db: Db; sqlite: SQLite.Database } {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true })
  const sqlite = new SQLite(file)
  sqlite.pragma('journal_mode = WAL')
  sqlite.pragma('foreign_keys = ON')
  sqlite.pragma('busy_timeout = 5000')
  sqlite.pragma('synchronous = NORMAL')
  applySchema(sqlite)
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) })
  return { db, sqlite }
}

export function applySchema(sqlite: SQLite.Database): void {
  const current = readVersion(sqlite)
  if (current !== null && current > SCHEMA_VERSION) {
    throw new Error(`database schema version ${current} is newer than this program's ${SCHEMA_VERSION}`)
  }
  sqlite.exec(readFileSync(schemaFile, 'utf8'))
  sqlite.prepare(`INSERT INTO schema_meta (key, value) VALUES ('schema_version', ?)
    ON CONFLICT (key) DO UPDATE SET value = excluded.value`).run(String(SCHEMA_VERSION))
}

function readVersion(sqlite: SQLite.Database): number | null {
  const has = sqlite.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_meta'`).get()
  if (!has) return null
  const row = sqlite.prepare(`SELECT value FROM schema_meta WHERE key = 'schema_version'`).get() as
    { value: string } | undefined
  return row ? Number(row.value) : null
}
