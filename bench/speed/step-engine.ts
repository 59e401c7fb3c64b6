/**
 * One process of the steps bench (bench/speed/steps.ts), forked with an IPC channel:
 * `step-engine.ts topup|bare <dir> <heapMB>`. Both first fill their heap with `heapMB` of retained objects, as
 * the real server's heap is filled by its caches, routes and sockets (fork cost grows with it). `topup` runs the
 * real engine and app on a real SQLite file in <dir> (the server's composition: transport provider, engine,
 * buildApp); `bare` runs the baseline (bench/baselines/spawn-rows.ts) on its own SQLite file. For every message
 * `{ steps }` the parent sends, each runs one task of `steps` steps of `exec true` and answers
 * `{ msPerStep, maxBlockMs, p99BlockMs }`: the time per step, and the longest event-loop block meanwhile.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
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

export interface StepRound { msPerStep: number; maxBlockMs: number; p99BlockMs: number }
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

/** Runs `work` with the event loop watched (1 ms resolution): its longest block and its 99th percentile. */
async function watched(work: () => Promise<number>): Promise<StepRound> {
  const delay = monitorEventLoopDelay({ resolution: 1 })
  delay.enable()
  try {
    const msPerStep = await work()
    return { msPerStep, maxBlockMs: delay.max / 1e6, p99BlockMs: delay.percentile(99) / 1e6 }
  } finally {
    delay.disable()
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
    return watched(async () => {
      const started = performance.now()
      let created = 0
      const done = new Promise<void>((resolve, reject) => {
        const unsubscribe = engine.bus.subscribe((event) => {
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
  const task = sqlite.prepare(`INSERT INTO tasks (user_id, workflow_id, workflow_name, workflow_snapshot, task_name, status)
    VALUES ('alice', ?, 'bench', '{}', 'steps', 'running')`)
  return (steps) => watched(() => spawnRows(sqlite, Number(task.run(workflowId).lastInsertRowid), steps))
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
