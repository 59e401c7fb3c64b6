/**
 * One process of the steps bench (bench/speed/steps.ts), forked with an IPC channel:
 * `step-engine.ts topup|bare <dir> <heapMB>`. Both first fill their heap with `heapMB` of retained objects, as
 * the real server's heap is filled by its caches, routes and sockets (fork cost grows with it). `topup` runs the
 * real engine and app on a real SQLite file in <dir> (the server's composition: transport provider, engine,
 * buildApp); `bare` runs the baseline (bench/baselines/spawn-rows.ts) on its own SQLite file. For every message
 * `{ steps }` the parent sends, each runs one task of `steps` steps of `exec true` and answers
 * a StepRound: the time per step, and the event-loop blocks meanwhile.
 */
import { closeSync, mkdirSync, openSync, readSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import pino from 'pino'
import { buildApp } from '../../src/app.js'
import { signToken } from '../../src/auth/token.js'
import { loadConfig } from '../../src/config.js'
import { openDatabase } from '../../src/db/connect.js'
import { createEngine } from '../../src/engine/engine.js'
import { createTransportProvider } from '../../src/remote/transport-provider.js'
import { stepRegistry } from '../../src/steps/registry.js'
import { stepTypes } from '../../src/workflows/definition.js'
import { loadWorkflows } from '../../src/workflows/loader.js'
import { syncWorkflows } from '../../src/workflows/sync.js'
import { spawnRows } from '../baselines/spawn-rows.js'

export interface StepRound {
  msPerStep: number
  /** Step starts seen. */
  starts: number
  /** The longest event-loop block at a step start, and the 99th percentile of those blocks. */
  maxBlockMs: number
  p99BlockMs: number
  /**
   * The main thread's own CPU time in those gaps (the longest, the 99th percentile): the block without the time it
   * slept in a system call (a database write that waits for the disk others load).
   */
  maxCpuMs: number
  p99CpuMs: number
  /** The longest block of the round, at a step start or not (database commits, garbage collection). */
  anyBlockMs: number
}
export type StepEngineMode = 'topup' | 'bare'

const SECRET = 'bench-steps-secret-0123456789abcdef0123456789'
export const STEPS_WORKFLOW = 'bench_steps'

/** Retained objects until the heap holds `mb` megabytes: many small ones, as a server's heap holds. */
function fillHeap(mb: number): unknown[] {
  const kept: unknown[] = []
  while (process.memoryUsage().heapUsed < mb * 1e6) {
    kept.push(Array.from({ length: 1000 }, (_, i) => ({ i, name: `entry ${kept.length}.${i}`, at: Date.now() })))
  }
  return kept
}

/**
 * Runs `work` with the event loop watched by a 1 ms timer. A block is a gap between two ticks, less the time the
 * main thread waited meanwhile for a CPU (its run-queue wait, /proc/thread-self/schedstat): on a shared 2-core
 * machine another's load would otherwise count as this process's block. A gap holds up to one timer period
 * besides the block, so it bounds the block from above. `work` marks each step start (performance.now()); the
 * blocks at a step start are the gaps that hold a mark.
 */
async function watched(work: (mark: () => void) => Promise<number>): Promise<StepRound> {
  const fd = openSync('/proc/thread-self/schedstat', 'r')
  const text = Buffer.alloc(128)
  // schedstat: the thread's time on a CPU, then its time waiting for one (ns)
  const sched = () => text.toString('latin1', 0, readSync(fd, text, 0, text.length, 0)).split(' ').slice(0, 2).map((n) => Number(n) / 1e6) as [number, number]
  const gaps: Array<{ from: number; to: number; block: number; cpu: number }> = []
  const marks: number[] = []
  let last = performance.now()
  let [lastCpu, lastWait] = sched()
  let timer: NodeJS.Timeout | null = null
  const tick = () => {
    const now = performance.now()
    const [cpu, wait] = sched()
    gaps.push({ from: last, to: now, block: Math.max(0, now - last - (wait - lastWait)), cpu: cpu - lastCpu })
    last = now
    lastCpu = cpu
    lastWait = wait
    timer = setTimeout(tick, 1)
  }
  timer = setTimeout(tick, 1)
  try {
    const msPerStep = await work(() => marks.push(performance.now()))
    let next = 0
    const atStart: typeof gaps = []
    for (const gap of gaps) {
      let held = false
      while (next < marks.length && marks[next]! <= gap.to) held = marks[next++]! > gap.from || held
      if (held) atStart.push(gap)
    }
    const blocks = atStart.map((g) => g.block).sort((x, y) => x - y)
    const cpus = atStart.map((g) => g.cpu).sort((x, y) => x - y)
    return {
      msPerStep, starts: marks.length, maxBlockMs: blocks.at(-1) ?? 0, p99BlockMs: blocks[Math.floor(blocks.length * 0.99)] ?? 0,
      maxCpuMs: cpus.at(-1) ?? 0, p99CpuMs: cpus[Math.floor(cpus.length * 0.99)] ?? 0, anyBlockMs: Math.max(0, ...gaps.map((g) => g.block)),
    }
  } finally {
    clearTimeout(timer!)
    closeSync(fd)
  }
}

async function topup(dir: string): Promise<(steps: number) => Promise<StepRound>> {
  const workflowsDir = join(dir, 'workflows')
  mkdirSync(workflowsDir, { recursive: true })
  const config = loadConfig({
    DATA_DIR: dir, SECRET_KEY: SECRET, WORKFLOWS_DIR: workflowsDir, LOG_FILE: join(dir, 'topup.log'),
    HOSTS_FILE: join(dir, 'no-hosts.json'), MAX_RETRY_ATTEMPTS: '0',
  })
  const { db } = openDatabase(join(dir, 'topup.db'))
  const logger = pino({ level: 'warn' }, pino.destination(2))
  const transports = createTransportProvider({ config, db, logger })
  const engine = createEngine({ db, config, logger, steps: stepRegistry, transports })
  let workflowSteps = 0
  let app: Awaited<ReturnType<typeof buildApp>> | null = null
  const token = signToken(SECRET, { userId: 'alice', role: 'user' }, 24 * 3600)
  await engine.recover()
  return async (steps) => {
    if (steps !== workflowSteps) {
      writeFileSync(join(workflowsDir, `${STEPS_WORKFLOW}.json`), JSON.stringify({
        name: STEPS_WORKFLOW, display_name: 'Steps bench', version: String(steps),
        steps: Array.from({ length: steps }, (_, i) => ({ id: `s${i}`, display_name: `step ${i}`, type: 'exec', host: 'local', inputs: { command: 'true' } })),
      }))
      const workflows = await syncWorkflows(db, loadWorkflows(workflowsDir), stepTypes)
      await app?.close()
      app = await buildApp({ config, db, workflows, control: engine, events: engine.events, transports })
      workflowSteps = steps
    }
    const api = app!
    return watched(async (mark) => {
      const started = performance.now()
      let created = 0
      const done = new Promise<void>((resolve, reject) => {
        const unsubscribe = engine.bus.subscribe((event) => {
          // published after the commit that opens the execution, in the same turn of the loop as the command's start
          if (event.type === 'step.started') mark()
          if (event.type !== 'task.status' || event.task_id !== created) return
          if (event.data.status === 'success') { unsubscribe(); resolve() }
          else if (['failed', 'paused', 'cancelled'].includes(event.data.status)) { unsubscribe(); reject(new Error(`bench task ${event.data.status}: ${event.data.reason}`)) }
        })
      })
      const res = await api.inject({
        method: 'POST', url: '/api/tasks', headers: { authorization: `Bearer ${token}` },
        payload: { workflow_name: STEPS_WORKFLOW, task_name: 'steps bench', parameters: {}, start: true },
      })
      if (res.statusCode !== 201) throw new Error(`creating the bench task: ${res.statusCode} ${res.body}`)
      created = (res.json() as { id: number }).id
      await done
      return (performance.now() - started) / steps
    })
  }
}

function bare(dir: string): (steps: number) => Promise<StepRound> {
  const { sqlite } = openDatabase(join(dir, 'bare.db'))
  const workflowId = Number(sqlite.prepare(`INSERT INTO workflows (name, display_name, version, definition, definition_hash)
    VALUES ('bench', 'bench', '1', '{}', 'x')`).run().lastInsertRowid)
  const task = sqlite.prepare(`INSERT INTO tasks (user_id, workflow_id, workflow_name, task_name, status)
    VALUES ('alice', ?, 'bench', 'steps', 'running')`)
  return (steps) => watched((mark) => spawnRows(sqlite, Number(task.run(workflowId).lastInsertRowid), steps, mark))
}

const [mode, dir, heapMb] = process.argv.slice(2) as [StepEngineMode, string, string]
const kept = fillHeap(Number(heapMb))
const round = mode === 'topup' ? await topup(dir) : bare(dir)
process.on('message', (message: { steps: number }) => {
  round(message.steps).then((figures) => process.send!({ ...figures, heapMB: process.memoryUsage().heapUsed / 1e6, kept: kept.length }),
    (error: unknown) => { console.error(error); process.exit(1) })
})
process.on('disconnect', () => process.exit(0))
process.send!({ ready: true })
