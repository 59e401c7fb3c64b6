import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { openDatabase, type Db } from '../../src/db/connect.js'
import type { TaskRow } from '../../src/db/tables.js'
import { createEngine, type Engine, type EngineConfig } from '../../src/engine/engine.js'
import type { TaskEvent, TaskStatus } from '../../src/domain.js'
import type { StepTable } from '../../src/steps/registry.js'
import type { HostTransports } from '../../src/remote/transport-provider.js'
import { stepRegistry } from '../../src/steps/registry.js'
import { insertTask as insertTaskRow, setTaskConcurrency } from '../../src/db/task-repository.js'
import { renderConcurrency } from '../../src/workflows/concurrency.js'
import { validateWorkflow } from '../../src/workflows/loader.js'
import { encodeParameter, resolveParameters } from '../../src/workflows/parameters.js'

interface Teardown { teardown(fn: () => unknown): void }

/** DATA_DIR is each fixture's own folder. */
export const testConfig: Omit<EngineConfig, 'DATA_DIR'> = {
  MAX_PARALLEL_TASKS: 3, DEFAULT_TIMEOUT_MINUTES: 30, MAX_RETRY_ATTEMPTS: 0, RETRY_DELAY_SECONDS: 0,
  RETRY_MAX_DELAY_SECONDS: 60, SHUTDOWN_GRACE_SECONDS: 5, STORAGE_RETRY_MAX_SECONDS: 1, siteVars: {}, REMOTE_RUNS_DIR: '~/.topup/runs',
  // cluster jobs are polled fast here: the tests wait on their states, not on the clock
  JOB_POLL_MIN_SECONDS: 0.2, JOB_POLL_MAX_SECONDS: 1, JOB_LAG_SECONDS: 10, JOB_POLL_FAILURES: 3,
}

/** A workflow definition as JSON (tests write steps the format allows; types are checked by the engine). */
export interface TestWorkflow {
  name?: string
  parameters?: Record<string, unknown>
  vars?: Record<string, string>
  concurrency?: { key: string; limit?: number }
  steps: Array<Record<string, unknown>>
}

export interface EngineFixture {
  db: Db
  dir: string
  file: string
  engine: Engine
  createTask(workflow: TestWorkflow, params?: Record<string, unknown>, user?: string): Promise<TaskRow>
  task(id: number): Promise<TaskRow>
  events(id: number): Promise<TaskEvent[]>
  waitForStatus(id: number, status: TaskStatus | TaskStatus[], timeoutMs?: number): Promise<TaskRow>
  waitForEvent(id: number, match: (e: TaskEvent) => boolean, timeoutMs?: number): Promise<TaskEvent>
}

/** A real engine on a real SQLite file in a temp folder, shut down and removed when the test ends. */
export function engineFixture(
  t: Teardown, options: {
    config?: Partial<EngineConfig>; steps?: StepTable; dir?: string; transports?: HostTransports; heartbeatMs?: number
  } = {},
): EngineFixture {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'topup-engine-'))
  const file = join(dir, 'topup.db')
  const { db } = openDatabase(file)
  const engine = createEngine({
    db, config: { ...testConfig, DATA_DIR: join(dir, 'data'), ...options.config }, logger: pino({ level: 'silent' }),
    steps: { ...stepRegistry, ...options.steps },
    ...(options.heartbeatMs === undefined ? {} : { heartbeatMs: options.heartbeatMs }),
    ...(options.transports ? { transports: options.transports } : {}),
  })
  t.teardown(async () => {
    await engine.shutdown(2000)
    await db.destroy()
    if (!options.dir) rmSync(dir, { recursive: true, force: true })
  })
  const f: EngineFixture = {
    db, dir, file, engine,
    createTask: (workflow, params = {}, user = 'alice') => insertTask(db, workflow, params, user),
    task: async (id) => db.selectFrom('tasks').selectAll().where('id', '=', id).executeTakeFirstOrThrow(),
    events: (id) => engine.events.read(id, 0, 100_000),
    waitForStatus: (id, status, timeoutMs = 20_000) => {
      const wanted = Array.isArray(status) ? status : [status]
      return waitUntil(engine, timeoutMs, `task ${id} to become ${wanted.join('|')}`,
        (e) => e.task_id === id && e.type === 'task.status' && wanted.includes(e.data.status),
        async () => { const row = await f.task(id); return wanted.includes(row.status as TaskStatus) ? row : null },
      ).then(() => f.task(id))
    },
    waitForEvent: (id, match, timeoutMs = 20_000) => waitUntil(engine, timeoutMs, `an event of task ${id}`,
      (e) => e.task_id === id && match(e),
      async () => (await f.events(id)).find(match) ?? null),
  }
  return f
}

/** Resolves with the first matching event, checking the database once after subscribing (no missed event). */
function waitUntil<T>(
  engine: Engine, timeoutMs: number, what: string, match: (e: TaskEvent) => boolean, check: () => Promise<T | null>,
): Promise<T | TaskEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { unsubscribe(); reject(new Error(`timed out waiting for ${what}`)) }, timeoutMs)
    const unsubscribe = engine.bus.subscribe((e) => {
      if (match(e)) { clearTimeout(timer); unsubscribe(); resolve(e) }
    })
    check().then((found) => {
      if (found !== null) { clearTimeout(timer); unsubscribe(); resolve(found) }
    }, reject)
  })
}

export async function insertTask(db: Db, workflow: TestWorkflow, params: Record<string, unknown>, user: string):
  Promise<TaskRow> {
  const definition = { name: workflow.name ?? 'test_flow', display_name: 'Test', version: '1', ...workflow }
  // The same check a workflow file gets at start-up: tests run only definitions the service would accept.
  const problems = validateWorkflow(definition)
  if (problems.length > 0) throw new Error(`test workflow ${definition.name} is invalid: ${problems.join('; ')}`)
  const text = JSON.stringify(definition)
  const wf = await db.insertInto('workflows').values({
    name: definition.name, display_name: 'Test', version: '1', definition: text,
    definition_hash: String(Math.random()),
  }).returning('id').executeTakeFirstOrThrow()
  const resolved = resolveParameters(definition.parameters as never, params)
  if (!resolved.ok) throw new Error(JSON.stringify(resolved.errors))
  const inserted = await insertTaskRow(db, {
    user_id: user, workflow_id: wf.id, workflow_name: definition.name, workflow_snapshot: text, task_name: 'test task',
  }, [])
  // As POST /api/tasks does: the key is rendered once, when the task is created.
  const concurrency = renderConcurrency(definition, resolved.values, {}, { id: inserted.id, user_id: user })
  const task = concurrency ? await setTaskConcurrency(db, inserted.id, concurrency) : inserted
  const defs = (definition.parameters ?? {}) as Record<string, { type: string }>
  for (const [name, value] of Object.entries(resolved.values)) {
    await db.insertInto('task_parameters').values({
      task_id: task.id, param_name: name, param_value: encodeParameter(value), param_type: defs[name]?.type ?? 'string',
    }).execute()
  }
  return task
}

/** An exec step running `command` locally. */
export function execStep(id: string, command: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id, display_name: id, type: 'exec', host: 'local', inputs: { command }, ...extra }
}

export function statusesOf(events: TaskEvent[]): string[] {
  return events.flatMap((e) => e.type === 'task.status' ? [e.data.status] : [])
}
