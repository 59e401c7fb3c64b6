import t from 'tap'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SECRET, freePort, startServerProcess } from './helpers/server-process.js'
import { serviceVersion } from '../src/version.js'

// A server that cannot start says why in one line, at once: before it opens (or migrates) any database.

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'topup-listen-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** Runs `serve` to its exit; its status and stderr. */
async function serve(dir: string, env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'serve'], {
    env: { ...process.env, HOST: '127.0.0.1', DATA_DIR: join(dir, 'data'), SECRET_KEY: SECRET, LOG_FILE: join(dir, 'logs', 'topup.log'),
      HOSTS_FILE: join(dir, 'no-hosts.json'), DATABASE_URL: '', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  child.stderr!.on('data', (chunk) => { stderr += String(chunk) })
  const [code] = await Promise.all([once(child, 'exit').then(([c]) => c as number | null), once(child.stderr!, 'close')])
  return { code, stderr }
}

t.test('the port is taken by another Topup: one line naming the port and that Topup', async (t) => {
  const first = await startServerProcess(t, tempDir(t))
  const port = new URL(first.base).port
  const dir = tempDir(t)
  const second = await serve(dir, { PORT: port })
  t.equal(second.code, 1)
  const lines = second.stderr.trim().split('\n')
  t.equal(lines.length, 1, second.stderr)
  t.equal(lines[0], `cannot listen on 127.0.0.1:${port}: port ${port} is already in use: another Topup (version ${serviceVersion}) `
    + 'is running there; stop it, or set PORT to a free port')
  t.notOk(existsSync(join(dir, 'data')), 'the second server opened no database')
  t.equal((await first.api('GET', '/api/health')).status, 200, 'the first one runs on')
})

t.test('the port is taken by another program: one line, the likely cause', async (t) => {
  const port = await freePort()
  const other = createServer().listen(port, '127.0.0.1')
  await once(other, 'listening')
  t.teardown(() => { other.close() })
  const { code, stderr } = await serve(tempDir(t), { PORT: String(port) })
  t.equal(code, 1)
  t.match(stderr, new RegExp(`^cannot listen on 127\\.0\\.0\\.1:${port}: port ${port} is already in use: another program listens there, most likely another Topup .*; stop it, or set PORT to a free port\\n$`))
})

t.test('an address that is not this machine\'s, and a broken hosts file: one line each', async (t) => {
  const port = String(await freePort())
  const wrong = await serve(tempDir(t), { PORT: port, HOST: '192.0.2.1' })
  t.equal(wrong.code, 1)
  t.equal(wrong.stderr, `cannot listen on 192.0.2.1:${port}: 192.0.2.1 is not an address of this machine; set HOST\n`)
  const dir = tempDir(t)
  writeFileSync(join(dir, 'hosts.json'), '{"hosts": {"x": {"hostname": "h", "username": "u", "password": "pw"}}}')
  const broken = await serve(dir, { PORT: port, HOSTS_FILE: join(dir, 'hosts.json') })
  t.equal(broken.code, 1)
  t.match(broken.stderr, /^.*hosts\.json: \/hosts\/x\/password is not a known field .*\n$/)
})
