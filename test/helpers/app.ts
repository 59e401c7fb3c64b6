import { fileURLToPath } from 'node:url'
import type { AppDeps } from '../../src/api/deps.js'
import { buildApp } from '../../src/app.js'
import type { Api } from '../../src/api/route-module.js'
import { signToken, type Role } from '../../src/auth/token.js'
import { loadConfig, type Config } from '../../src/config.js'
import type { Db } from '../../src/db/connect.js'
import type { Engine } from '../../src/engine/engine.js'
import type { TaskControl, TaskEventSource } from '../../src/engine/interfaces.js'
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
  workflowsDir?: string
  /** The task control and event source the app is given (an engine, or a part of one for a route test). */
  control?: TaskControl
  events?: TaskEventSource
  /** Builds an engine on the test's database (called before the app is built); the app gets its control and events. */
  engine?: (deps: { db: Db; config: Readonly<Config> }) => Engine
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

/** The real app on a fresh SQLite file, closed (and its folder removed) when the test ends. */
export async function buildTestApp(t: { teardown(fn: () => unknown): void }, options: TestAppOptions = {}): Promise<TestApp> {
  const { db, dir } = freshDatabase(t)
  const config = loadConfig({
    DATA_DIR: dir, SECRET_KEY: TEST_SECRET, WORKFLOWS_DIR: options.workflowsDir ?? repoWorkflowsDir,
    LOG_FILE: `${dir}/logs/test.log`, ...options.env,
  })
  const workflows = await syncWorkflows(db, loadWorkflows(config.WORKFLOWS_DIR), options.implementedStepTypes ?? stepTypes)
  const engine = options.engine?.({ db, config })
  const control = engine ?? options.control
  const events = engine?.events ?? options.events
  const deps: AppDeps = { config, db, workflows, ...(control ? { control } : {}), ...(events ? { events } : {}) }
  const app = await buildApp(deps)
  t.teardown(() => app.close())
  const tokenFor = (user: string, role: Role = 'user', ttlSeconds = 3600) =>
    signToken(TEST_SECRET, { userId: user, role }, ttlSeconds)
  return {
    app, db, config, workflows, dir, tokenFor,
    authFor: (user, role) => ({ authorization: `Bearer ${tokenFor(user, role)}` }),
  }
}
