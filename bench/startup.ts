/**
 * `npm run bench:startup`: wall time from `npm start` to the first 200 from /api/health, and of
 * `npm run token -- --user alice`, each BENCH_STARTUP_RUNS (5) times on a fresh DATA_DIR, LOG_FILE and port.
 * Prints median, min and max, and the load average before and after (other work on the machine shows up there).
 */
import { spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { freePort } from '../test/helpers/server-process.js'

const runs = Number(process.env.BENCH_STARTUP_RUNS ?? 5)

function environment(dir: string, port: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env, HOST: '127.0.0.1', PORT: String(port), DATA_DIR: join(dir, 'data'), LOG_FILE: join(dir, 'topup.log'),
  }
  delete env.SECRET_KEY
  delete env.DATABASE_URL
  return env
}

async function healthy(url: string): Promise<boolean> {
  try {
    return (await fetch(url)).status === 200
  } catch {
    return false
  }
}

/** Milliseconds from spawning `npm start` to /api/health answering 200; the server's process group is stopped after. */
async function startToHealthy(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'topup-bench-start-'))
  const port = await freePort()
  const t0 = performance.now()
  // Its own process group, so that npm, the shell and node stop together.
  const child = spawn('npm', ['start'], { env: environment(dir, port), stdio: 'ignore', detached: true })
  const exited = once(child, 'exit')
  try {
    while (!(await healthy(`http://127.0.0.1:${port}/api/health`))) {
      if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode}`)
      await delay(10)
    }
    return performance.now() - t0
  } finally {
    process.kill(-child.pid!, 'SIGTERM')
    await exited
    rmSync(dir, { recursive: true, force: true })
  }
}

function token(): number {
  const dir = mkdtempSync(join(tmpdir(), 'topup-bench-token-'))
  const t0 = performance.now()
  const r = spawnSync('npm', ['run', '-s', 'token', '--', '--user', 'alice'], { env: environment(dir, 5000), encoding: 'utf8' })
  const ms = performance.now() - t0
  rmSync(dir, { recursive: true, force: true })
  if (r.status !== 0 || !/^ey[\w-]+\.[\w-]+\.[\w-]+$/.test(r.stdout.trim())) throw new Error(`token failed: ${r.stderr}`)
  return ms
}

function stats(times: number[]): string {
  const sorted = [...times].sort((a, b) => a - b)
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`
  return `median ${s(sorted[Math.floor(sorted.length / 2)]!)}, min ${s(sorted[0]!)}, max ${s(sorted.at(-1)!)} (${runs} runs)`
}

const load = () => loadavg().map((n) => n.toFixed(2)).join(' ')
console.log(`load average before: ${load()}`)
const starts: number[] = []
for (let i = 0; i < runs; i++) starts.push(await startToHealthy())
const tokens = Array.from({ length: runs }, token)
console.log(`npm start → /api/health 200: ${stats(starts)}`)
console.log(`npm run token -- --user alice: ${stats(tokens)}`)
console.log(`load average after: ${load()}`)
