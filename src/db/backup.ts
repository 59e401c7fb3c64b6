import { existsSync, renameSync, rmSync, statSync } from 'node:fs'
import SQLite from 'better-sqlite3'

export class BackupError extends Error {}

/**
 * Copies the database to `target` while the service may be running: VACUUM INTO reads one consistent snapshot
 * (WAL lets the service go on writing meanwhile) and writes a compact copy, which is checked (integrity_check)
 * under a temporary name and only then renamed to `target` — a copy that exists is a whole one. Never migrates
 * and never overwrites.
 */
export function backupDatabase(source: string, target: string): { bytes: number } {
  if (source === ':memory:') throw new BackupError('the database is in memory (DATABASE_URL=sqlite::memory:): nothing to back up')
  if (!existsSync(source)) throw new BackupError(`no database at ${source} (check DATA_DIR or DATABASE_URL)`)
  if (existsSync(target)) throw new BackupError(`${target} exists; the backup does not overwrite a file, name a new one`)
  const partial = `${target}.partial-${process.pid}`
  try {
    const sqlite = new SQLite(source, { fileMustExist: true })
    try {
      sqlite.pragma('busy_timeout = 5000')
      sqlite.prepare('VACUUM INTO ?').run(partial)
    } finally {
      sqlite.close()
    }
    const copy = new SQLite(partial, { readonly: true, fileMustExist: true })
    try {
      const verdict = copy.pragma('integrity_check', { simple: true })
      if (verdict !== 'ok') throw new BackupError(`the copy failed its integrity check: ${String(verdict)}`)
    } finally {
      copy.close()
    }
    renameSync(partial, target)
    return { bytes: statSync(target).size }
  } catch (error) {
    rmSync(partial, { force: true })
    if (error instanceof SQLite.SqliteError) throw new BackupError(`cannot copy ${source} to ${target}: ${error.message}`)
    throw error
  }
}
