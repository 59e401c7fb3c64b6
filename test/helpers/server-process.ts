import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { setTimeout as delay } from 'node:timers/promises'
import { signToken } from '../../src/auth/token.js'

export const SECRET = 'engine-process-test-secret-0123456789abcdef'

export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  server.close()
  await once(server, 'close')
  return port
}

export interface ServerProcess {
  child: ChildProcess
  base: string
  exited: Promise<[number | null, NodeJS.Signals | null]>
  api<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>
  /** Polls the task (bounded) until its status is one of `statuses`. */
  waitForStatus(id: number, statuses: string[], timeoutMs?: number): Promise<Record<string, unknown>>
}

/**
 * Starts `src/main.ts serve` (or the node arguments `argv`) as a real child process on a free port; resolves once it
 * listens.
 */
export async function startServerProcess(
  t: { teardown(fn: () => unknown): void }, dir: string, env: Record<string, string> = {},
  argv = ['--import', 'tsx', 'src/main.ts', 'serve'],
): Promise<ServerProcess> {
  const port = await freePort()
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env, HOST: '127.0.0.1', PORT: String(port), DATA_DIR: join(dir, 'data'), SECRET_KEY: SECRET,
    LOG_FILE: join(dir, 'logs', 'topup.log'), LOG_LEVEL: 'info', HOSTS_FILE: join(dir, 'no-hosts.json'), ...env,
  }
  // the database is the one under DATA_DIR unless the test names one
  if (env.DATABASE_URL === undefined) delete childEnv.DATABASE_URL
  const child = spawn(process.execPath, argv, { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL')
      await exited
    }
  })
  let stderr = ''
  child.stderr!.on('data', (chunk) => { stderr += String(chunk) })
  const lines = createInterface({ input: child.stdout! })
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${stderr}`)), 60_000)
    lines.on('line', (line) => { if (line.includes('"topup listening"')) { clearTimeout(timer); resolve() } })
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited with ${code}: ${stderr}`)) })
  })
  const base = `http://127.0.0.1:${port}`
  const token = signToken(SECRET, { userId: 'alice', role: 'user' }, 3600)
  const api: ServerProcess['api'] = async (method, path, body) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    return { status: res.status, body: await res.json() as never }
  }
  return {
    child, base, exited, api,
    async waitForStatus(id, statuses, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs
      let last: Record<string, unknown> = {}
      while (Date.now() < deadline) {
        last = (await api('GET', `/api/tasks/${id}`)).body
        if (statuses.includes(String(last.status))) return last
        await delay(50)
      }
      throw new Error(`task ${id} stayed ${String(last.status)}, expected ${statuses.join('|')}`)
    },
  }
}
