/**
 * The WebSocket flood (third part of `npm run bench`): a real server process, one task with a long history
 * (BENCH_FLOOD_HISTORY log lines) and, beside it, a task whose steps (BENCH_FLOOD_STEPS × `sleep 0.2`) are
 * timed. Then signed-in clients each send BENCH_FLOOD_MESSAGES `subscribe` messages for the history task and
 * disconnect: first one client, then BENCH_FLOOD_CLIENTS at once. Meanwhile /api/health is asked one request
 * after another; the figures are its latency (p50, p99, max) over the phase, how long after the last flooding
 * client had gone it stayed slow, and the paced task's wall time and slowest step gap against a quiet run.
 * Each phase is bounded by BENCH_FLOOD_PHASE_SECONDS (300); a server still stalled then is reported as such.
 */
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { setTimeout as delay } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { WebSocket } from 'ws'
import { signToken } from '../src/auth/token.js'
import { SECRET, startServerProcess, type ServerProcess } from '../test/helpers/server-process.js'

const HISTORY = Number(process.env.BENCH_FLOOD_HISTORY ?? 3000)
const STEPS = Number(process.env.BENCH_FLOOD_STEPS ?? 20)
const STEP_SECONDS = 0.2
const MESSAGES = Number(process.env.BENCH_FLOOD_MESSAGES ?? 3000)
const CLIENTS = Number(process.env.BENCH_FLOOD_CLIENTS ?? 200)
const PHASE_MS = Number(process.env.BENCH_FLOOD_PHASE_SECONDS ?? 300) * 1000
/** Health answers slower than this count as "the server is still stalled". */
const SLOW_MS = 500

function writeWorkflows(dir: string): void {
  mkdirSync(dir, { recursive: true })
  const exec = (id: string, command: string) => ({ id, display_name: id, type: 'exec', host: 'local', retry: { count: 0 }, inputs: { command } })
  writeFileSync(join(dir, 'history.json'), JSON.stringify({
    name: 'bench_history', display_name: 'history', description: 'a task with a long log', version: '1',
    steps: [exec('lines', `seq 1 ${HISTORY}`)],
  }))
  writeFileSync(join(dir, 'pace.json'), JSON.stringify({
    name: 'bench_pace', display_name: 'pace', description: 'steps of a known length', version: '1',
    steps: Array.from({ length: STEPS }, (_, i) => exec(`s${i}`, `sleep ${STEP_SECONDS}`)),
  }))
}

async function runTask(server: ServerProcess, workflow: string): Promise<number> {
  const created = await server.api<{ id: number }>('POST', '/api/tasks', { workflow_name: workflow, task_name: workflow, start: true })
  if (created.status !== 201) throw new Error(`bench: creating a ${workflow} task answered ${created.status}`)
  return created.body.id
}

interface Pace { wallS: number; slowestStepMs: number }

/** The task's wall time and its slowest step (each is one `sleep`), from its events. */
async function pace(server: ServerProcess, taskId: number): Promise<Pace> {
  const events = await server.api<{ items: Array<{ type: string; at: string }> }>('GET', `/api/tasks/${taskId}/events?limit=1000`)
  const at = (type: string) => events.body.items.filter((e) => e.type === type).map((e) => Date.parse(e.at))
  const started = at('step.started')
  const finished = at('step.finished')
  const slowestStepMs = Math.max(...started.map((at, i) => finished[i]! - at))
  return { wallS: (finished.at(-1)! - started[0]!) / 1000, slowestStepMs }
}

interface Probe { start: number; ms: number }

/** A GET that gives up at `end` (a stalled server may not answer at all); undefined then. */
async function getUntil(url: string, end: number): Promise<Response | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(Math.max(1000, end - Date.now())) })
    await res.clone().arrayBuffer()
    return res
  } catch {
    return undefined
  }
}

/** Asks /api/health one request after another until `stop()` or `end`; when each was sent and how long it took. */
async function probeHealth(server: ServerProcess, stop: () => boolean, end: number): Promise<Probe[]> {
  const probes: Probe[] = []
  while (!stop() && Date.now() < end) {
    const start = Date.now()
    // A timed-out probe still counts its time.
    await getUntil(`${server.base}/api/health`, end)
    probes.push({ start, ms: Date.now() - start })
    await delay(20)
  }
  return probes
}

/**
 * One hostile client: opens, sends MESSAGES subscribes for the task, closes (calling `gone` then); resolves with
 * the close code once its socket is closed.
 */
function flooder(wsUrl: string, token: string, taskId: number, gone: () => void): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(wsUrl, ['topup.v1', `bearer.${token}`])
    const give = setTimeout(() => ws.terminate(), PHASE_MS).unref()
    ws.on('open', () => {
      const message = JSON.stringify({ type: 'subscribe', task_id: taskId, after_seq: 0 })
      for (let i = 0; i < MESSAGES; i++) ws.send(message)
      ws.close()
      gone()
    })
    ws.on('error', () => { /* the close that follows reports it */ })
    ws.on('close', (code) => { clearTimeout(give); resolve(code) })
  })
}

interface FloodResult { gone: number; lastGone: number; codes: number[] }

/**
 * `flood.ts flooders <ws url> <token> <task> <clients>`: the flooders, printing `gone <epoch ms>` as each has sent
 * everything and disconnected, and `closed <code>` as its socket closes.
 */
async function flooders(wsUrl: string, token: string, taskId: number, clients: number): Promise<void> {
  await Promise.all(Array.from({ length: clients }, () =>
    flooder(wsUrl, token, taskId, () => console.log(`gone ${Date.now()}`)).then((code) => console.log(`closed ${code}`))))
}

/**
 * Runs the flooders in a process of their own, so that sending their messages does not slow the health probes
 * of this one; resolves with what they did once all are closed, or at `end` (the process is killed then).
 */
function flood(server: ServerProcess, token: string, taskId: number, clients: number, end: number): Promise<FloodResult> {
  const wsUrl = `${server.base.replace('http', 'ws')}/api/ws`
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), 'flooders', wsUrl, token, String(taskId), String(clients)],
    { stdio: ['ignore', 'pipe', 'inherit'] })
  const result: FloodResult = { gone: 0, lastGone: Date.now(), codes: [] }
  createInterface({ input: child.stdout }).on('line', (line) => {
    const [what, value] = line.split(' ')
    if (what === 'gone') { result.gone++; result.lastGone = Number(value) }
    if (what === 'closed') result.codes.push(Number(value))
  })
  const timer = setTimeout(() => child.kill('SIGKILL'), Math.max(0, end - Date.now()))
  return new Promise((resolve) => child.on('close', () => { clearTimeout(timer); resolve(result) }))
}

const percentile = (times: number[], q: number) => {
  const sorted = [...times].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN
}

interface Phase { health: number[]; stalledS: number | null; pace: Pace | null; closeCodes: string; letIn: number }

/**
 * Runs a paced task and `clients` flooders at once, probing health all along; the phase ends once the task is
 * done, every flooder is gone and a probe sent after that answered promptly (or after PHASE_MS).
 */
async function phase(server: ServerProcess, clients: number, historyTask: number, token: string): Promise<Phase> {
  const t0 = Date.now()
  const end = t0 + PHASE_MS
  const paceTask = await runTask(server, 'bench_pace')
  let flooded: FloodResult | undefined = clients === 0 ? { gone: 0, lastGone: t0, codes: [] } : undefined
  void (clients === 0 ? Promise.resolve() : flood(server, token, historyTask, clients, end).then((r) => { flooded = r }))
  let done = false
  const health = probeHealth(server, () => done, end)
  let status = ''
  let quiet = false
  const auth = { authorization: `Bearer ${token}` }
  while (Date.now() < end && !quiet) {
    const res = await fetch(`${server.base}/api/tasks/${paceTask}`, { headers: auth, signal: AbortSignal.timeout(Math.max(1000, end - Date.now())) })
      .then((r) => r.json() as Promise<{ status: string }>, () => undefined)
    if (res) status = res.status
    if (['success', 'failed'].includes(status) && flooded !== undefined) {
      const p0 = Date.now()
      await getUntil(`${server.base}/api/health`, end)
      quiet = Date.now() - p0 < SLOW_MS
    }
    if (!quiet) await delay(100)
  }
  done = true
  const probes = await health
  if (status === 'failed') throw new Error('bench: the paced task failed')
  const result = flooded as FloodResult | undefined
  const byCode = new Map<string, number>()
  for (const code of result?.codes ?? []) byCode.set(String(code), (byCode.get(String(code)) ?? 0) + 1)
  // From the last flooder's disconnect to the end of the last slow health answer.
  const lastSlow = Math.max(0, ...probes.filter((p) => p.ms >= SLOW_MS).map((p) => p.start + p.ms))
  return {
    health: probes.map((p) => p.ms),
    stalledS: !quiet || !result ? null : Math.max(0, (lastSlow - result.lastGone) / 1000),
    pace: status === 'success' ? await pace(server, paceTask) : null,
    closeCodes: [...byCode].map(([code, n]) => `${n}× ${code}`).join(', ') || '-',
    letIn: result?.gone ?? 0,
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'topup-bench-flood-'))
  const teardowns: Array<() => unknown> = []
  try {
    writeWorkflows(join(dir, 'workflows'))
    const server = await startServerProcess({ teardown: (fn) => teardowns.push(fn) }, dir, {
      WORKFLOWS_DIR: join(dir, 'workflows'), MAX_PARALLEL_TASKS: '5',
    })
    const token = signToken(SECRET, { userId: 'alice', role: 'user' }, 3600)
    const historyTask = await runTask(server, 'bench_history')
    await server.waitForStatus(historyTask, ['success'], 120_000)

    console.log(`WebSocket flood: clients each send ${MESSAGES} subscribes for a task of ${HISTORY} events, then disconnect; `
      + `/api/health asked back to back; a task of ${STEPS} × ${STEP_SECONDS} s steps runs beside; each phase bounded by ${PHASE_MS / 1000} s:`)
    const widths = [12, 11, 9, 9, 14, 11, 13, 16, 0]
    const row = (cells: string[]) => console.log(`  ${cells.map((cell, i) => cell.padEnd(widths[i]!)).join(' ')}`.trimEnd())
    row(['phase', 'health p50', 'p99', 'max', 'stalled after', 'paced task', 'slowest step', 'clients let in', 'client closes'])
    for (const [name, clients] of [['quiet', 0], ['1 client', 1], [`${CLIENTS} clients`, CLIENTS]] as const) {
      const r = await phase(server, clients, historyTask, token)
      const ms = (n: number) => `${n.toFixed(0)} ms`
      const over = `> ${PHASE_MS / 1000} s`
      row([
        name, ms(percentile(r.health, 0.5)), ms(percentile(r.health, 0.99)), ms(Math.max(...r.health)),
        clients === 0 ? '-' : r.stalledS === null ? over : `${r.stalledS.toFixed(1)} s`,
        r.pace ? `${r.pace.wallS.toFixed(1)} s` : over, r.pace ? ms(r.pace.slowestStepMs) : '-',
        clients === 0 ? '-' : `${r.letIn}/${clients}`, r.closeCodes,
      ])
    }
  } finally {
    for (const fn of teardowns.reverse()) await fn()
    rmSync(dir, { recursive: true, force: true })
  }
}

if (process.argv[2] === 'flooders') {
  const [wsUrl, token, taskId, clients] = process.argv.slice(3)
  await flooders(wsUrl!, token!, Number(taskId), Number(clients))
} else {
  await main()
}
