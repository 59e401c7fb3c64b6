import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openDatabase, type Db } from '../../src/db/connect.js'

interface Teardown { teardown(fn: () => unknown): void }

/** A fresh SQLite file (schema applied) in its own temp folder, removed when the test ends. */
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
