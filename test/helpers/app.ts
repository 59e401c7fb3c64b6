import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyBaseLogger } from 'fastify'
import type { AppDeps } from '../../src/api/deps.js'
import { buildApp } from '../../src/app.js'
import type { Api } from '../../src/api/route-module.js'
import { signToken, type Role } from '../../src/auth/token.js'
import { loadConfig, type Config } from '../../src/config.js'
import type { Db } from '../../src/db/connect.js'
import type { Engine } from '../../src/engine/engine.js'
import type { TaskControl, TaskEventSource } from '../../src/engine/interfaces.js'
import type { HostTransports } from '../../src/remote/transport-provider.js'
import { stepTypes } from '../../src/workflows/definition.js'
import { loadWorkflows } from '../../src/workflows/loader.js'
import { syncWorkflows, type WorkflowCatalog } from '../../src/workflows/sync.js'
import { freshDatabase } from './db.js'

export const repoWorkflowsDir = fileURLToPath(new URL('../../workflows', import.meta.url))
export const TEST_SECRET = 'test-secret-key-for-topup-tests-0123456789'

export interface TestAppOptions {
  /** Extra environment for loadConfig (DATA_DIR and SECRET_KEY are set per test). */
  env?: Record<string, string>
  /** Step types treated as implemented; default: every type of the format, so all workflows run. */
  implementedStepTypes?: readonly string[]
  /** Workflow definitions the app loads instead of the repository's workflows/ (each written to `<name>.json`). */
  workflows?: readonly ({ name: string } & Record<string, unknown>)[]
  /** The task control and event source the app is given (a part of an engine, for a route test). */
  control?: TaskControl
  events?: TaskEventSource
  /** The real engine on the test's database (silent, every step type); the app gets its control and events. */
  engine?: boolean
  /** Where the app logs; by default it does not. */
  logger?: FastifyBaseLogger
  /** The hosts the app (and the engine, if any) run commands on; by default `local` only. */
  transports?: HostTransports
  /** Builds the schedules the app shows, on the test's database, workflows and engine. */
  scheduler?: (parts: { db: Db; workflows: WorkflowCatalog; config: Readonly<Config>; control?: TaskControl }) => AppDeps['scheduler']
}

export interface TestApp {
  app: Api
  db: Db
  config: Readonly<Config>
  workflows: WorkflowCatalog
  dir: string
  tokenFor(user: string, role?: Role, ttlSeconds?: number): string
  /** `{ authorization: 'Bearer …' }` for app.inject. */
  authFor(user: string, role?: Role): { authorization: string }
}

interface Teardown { teardown(fn: () => unknown): void }

/**
 * The real app on a fresh SQLite file, closed (and its folder removed) when `t` ends. Tests that need no
 * database or config of their own share one (`sharedByFile`).
 */
export async function buildTestApp(t: Teardown, options: TestAppOptions & { engine: true }): Promise<TestApp & { engine: Engine }>
export async function buildTestApp(t: Teardown, options?: TestAppOptions): Promise<TestApp>
export async function buildTestApp(t: Teardown, options: TestAppOptions = {}): Promise<TestApp & { engine?: Engine }> {
  const { db, dir } = freshDatabase(t)
  const config = loadConfig({
    DATA_DIR: dir, SECRET_KEY: TEST_SECRET, WORKFLOWS_DIR: options.workflows ? writeWorkflows(dir, options.workflows) : repoWorkflowsDir,
    LOG_FILE: `${dir}/logs/test.log`, ...options.env,
  })
  const workflows = await syncWorkflows(db, loadWorkflows(config.WORKFLOWS_DIR), options.implementedStepTypes ?? stepTypes)
  const engine = options.engine ? await startEngine(t, db, config, options.transports) : undefined
  const control = engine ?? options.control
  const events = engine?.events ?? options.events
  const scheduler = options.scheduler?.({ db, workflows, config, ...(control ? { control } : {}) })
  const deps: AppDeps = {
    config, db, workflows, ...(control ? { control } : {}), ...(events ? { events } : {}), ...(scheduler ? { scheduler } : {}),
    ...(options.logger ? { logger: options.logger } : {}), ...(options.transports ? { transports: options.transports } : {}),
  }
  const app = await buildApp(deps)
  t.teardown(() => app.close())
  const tokenFor = (user: string, role: Role = 'user', ttlSeconds = 3600) =>
    signToken(TEST_SECRET, { userId: user, role }, ttlSeconds)
  return {
    app, db, config, workflows, dir, tokenFor, ...(engine ? { engine } : {}),
    authFor: (user, role) => ({ authorization: `Bearer ${tokenFor(user, role)}` }),
  }
}

/**
 * What the tests of a file share (an app, a fixture on it), built once before the first of them:
 * `const shared = sharedByFile(t, () => buildTestApp(t))`, then `shared()` inside each test.
 */
export function sharedByFile<T>(t: { before(fn: () => unknown): void }, build: () => Promise<T>): () => T {
  let value: { built: T } | undefined
  t.before(async () => { value = { built: await build() } })
  return () => {
    if (!value) throw new Error('sharedByFile: used before t.before built it')
    return value.built
  }
}

function writeWorkflows(dir: string, definitions: readonly { name: string }[]): string {
  const folder = join(dir, 'workflows')
  mkdirSync(folder)
  for (const definition of definitions) writeFileSync(join(folder, `${definition.name}.json`), JSON.stringify(definition))
  return folder
}

/** Loaded only when asked for: most API tests run without the engine and its step types. */
async function startEngine(t: Teardown, db: Db, config: Readonly<Config>, transports?: HostTransports): Promise<Engine> {
  const [{ createEngine }, { stepRegistry }, { pino }] = await Promise.all([
    import('../../src/engine/engine.js'), import('../../src/steps/registry.js'), import('pino'),
  ])
  const engine = createEngine({ db, config, logger: pino({ level: 'silent' }), steps: stepRegistry, ...(transports ? { transports } : {}) })
  t.teardown(() => engine.shutdown(2000))
  return engine
}
