import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import SQLite from 'better-sqlite3'
import t from 'tap'
import { startServerProcess } from './helpers/server-process.js'
import { writeProcessWorkflows } from './helpers/workflow-files.js'

const run = promisify(execFile)

/** `node src/main.ts backup …` with the server's DATA_DIR; resolves with its exit code and output. */
async function backup(dataDir: string, ...args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir }
  delete env.DATABASE_URL
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'src/main.ts', 'backup', ...args], { env })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

t.test('backup: a consistent, checked copy of the database while the service runs and writes', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'topup-backup-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const server = await startServerProcess(t, dir, writeProcessWorkflows(dir))
  const dataDir = join(dir, 'data')
  const created = await server.api<{ id: number }>('POST', '/api/tasks', { workflow_name: 'plain_flow', parameters: { secs: '30' }, start: true })
  await server.waitForStatus(created.body.id, ['running'])

  const target = join(dir, 'backups', 'topup-copy.db')
  const missingFolder = await backup(dataDir, target)
  t.equal(missingFolder.code, 1, 'a folder that does not exist is an error')
  t.match(missingFolder.stderr, /^backup: cannot copy .* to .*topup-copy\.db/)

  const copyFile = join(dir, 'topup-copy.db')
  const made = await backup(dataDir, copyFile)
  t.equal(made.code, 0, made.stderr)
  t.match(made.stdout, /^backed up .*topup\.db to .*topup-copy\.db \(\d+ bytes\)\n$/)
  t.same(readdirSync(dir).filter((f) => f.includes('.partial-')), [], 'no partial file is left')
  const copy = new SQLite(copyFile, { readonly: true })
  t.teardown(() => copy.close())
  t.equal(copy.pragma('integrity_check', { simple: true }), 'ok')
  t.match(copy.prepare('SELECT id, workflow_name, status FROM tasks').all(), [{ id: created.body.id, workflow_name: 'plain_flow', status: 'running' }],
    'the running task is in the copy')
  t.ok(Number((copy.prepare(`SELECT value FROM schema_meta WHERE key = 'schema_version'`).get() as { value: string }).value) >= 1, 'with its schema version')
  t.equal((await server.api('GET', `/api/tasks/${created.body.id}`)).status, 200, 'the service went on')

  const again = await backup(dataDir, copyFile)
  t.equal(again.code, 1, 'an existing file is never overwritten')
  t.match(again.stderr, /exists; the backup does not overwrite a file/)
  t.equal((await backup(dataDir)).code, 2, 'the file must be named')
  const none = await backup(join(dir, 'nowhere'), join(dir, 'other.db'))
  t.equal(none.code, 1)
  t.match(none.stderr, /no database at .*nowhere/)
  t.notOk(existsSync(join(dir, 'other.db')))
})
