import t from 'tap'
import { spawn, execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { freePort } from '../helpers/server-process.js'

t.test('the real server process answers HTTP and stops cleanly on SIGTERM', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'topup-serve-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const port = await freePort()
  const env: NodeJS.ProcessEnv = {
    ...process.env, HOST: '127.0.0.1', PORT: String(port), DATA_DIR: join(dir, 'data'),
    LOG_FILE: join(dir, 'logs', 'topup.log'), LOG_LEVEL: 'info',
  }
  delete env.SECRET_KEY
  delete env.DATABASE_URL
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = once(child, 'exit')
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  let stderr = ''
  child.stderr.on('data', (chunk) => { stderr += String(chunk) })

  // Ready when the log says so (or failed when the process ends first).
  const lines = createInterface({ input: child.stdout })
  const ready = new Promise<void>((resolve, reject) => {
    lines.on('line', (line) => { if (line.includes('"topup listening"')) resolve() })
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${stderr}`)))
  })
  const timeout = setTimeout(() => child.kill('SIGKILL'), 60_000)
  t.teardown(() => clearTimeout(timeout))
  await ready

  const base = `http://127.0.0.1:${port}`
  const health = await fetch(`${base}/api/health`)
  t.equal(health.status, 200)
  t.match(await health.json(), { status: 'ok', database: 'ok' })
  t.ok(existsSync(join(dir, 'data', 'topup.db')), 'the database was created under DATA_DIR')
  t.equal(statSync(join(dir, 'data', 'secret.key')).mode & 0o777, 0o600, 'a key was generated')

  const token = execFileSync(process.execPath, ['--import', 'tsx', 'src/main.ts', 'token', '--user', 'user123'],
    { env, encoding: 'utf8' }).trim()
  const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }
  t.equal((await fetch(`${base}/api/tasks`)).status, 401)
  const workflows = await (await fetch(`${base}/api/workflows`, { headers: auth })).json() as
    { items: { name: string; runnable: boolean }[] }
  const topup = workflows.items.find((w) => w.name === 'topup_standard_workflow')!
  const created = await fetch(`${base}/api/tasks`, {
    method: 'POST', headers: auth,
    body: JSON.stringify({ user_id: 'user123', workflow_name: 'topup_standard_workflow', task_name: '处理250624日期数据',
      parameters: { date_param: '250624', submit_job: true, max_wait_minutes: 25 } }),
  })
  t.equal(created.status, topup.runnable ? 201 : 409, 'created, or refused while a step type is missing')
  const list = await fetch(`${base}/api/tasks?user_id=user123&status=running&limit=10&offset=0`, { headers: auth })
  t.equal(list.status, 200)
  const page = await fetch(`${base}/`)
  t.equal(page.status, 200)
  const docs = await fetch(`${base}/docs/json`)
  t.equal(docs.status, 200)

  child.kill('SIGTERM')
  const [code] = await exited
  t.equal(code, 0, 'graceful exit')
  const log = readFileSync(join(dir, 'logs', 'topup.log'), 'utf8')
  t.match(log, /"reqId":"[^"]+".*"url":"\/api\/health"/, 'request lines carry the request id')
  t.match(log, /"msg":"topup stopped"/)
  t.notMatch(log, token, 'the token never reaches the log')
  t.notMatch(log, /Bearer ey/, 'no Authorization header value')
  t.notMatch(log, readFileSync(join(dir, 'data', 'secret.key'), 'utf8').trim(), 'nor the key')
})
