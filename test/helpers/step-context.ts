import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir, userInfo } from 'node:os'
import { pino } from 'pino'
import { join } from 'node:path'
import type { Db } from '../../src/db/connect.js'
import { parseJsonColumn } from '../../src/db/execution-repository.js'
import { decodeOutputValue } from '../../src/db/output-repository.js'
import { insertTask } from '../../src/db/task-repository.js'
import type { LogLevel, OutputValue } from '../../src/domain.js'
import { EventBus } from '../../src/engine/bus.js'
import { EventStore } from '../../src/engine/event-store.js'
import { stateOf } from '../../src/engine/resumable.js'
import { createStepContext, type StepStore } from '../../src/engine/step-context.js'
import { JobTracker } from '../../src/engine/job-tracker.js'
import { pollTiming } from '../../src/engine/job-timing.js'
import { testConfig } from '../engine/fixture.js'
import { LocalTransport } from '../../src/remote/local/local-transport.js'
import type { Transport } from '../../src/remote/transport.js'
import type { StepContext } from '../../src/steps/step-type.js'
import type { StepDefinition, StepOf, StepType } from '../../src/workflows/definition.js'
import type { TemplateScope } from '../../src/workflows/template.js'
import { freshDatabase } from './db.js'

interface Teardown { teardown(fn: () => unknown): void }

export interface LogEntry { level: LogLevel; message: string; source: string | undefined }

export interface StepHarness<K extends StepType> {
  ctx: StepContext<K>
  db: Db
  taskId: number
  executionId: number
  controller: AbortController
  logs: LogEntry[]
  /** Outputs as recorded in step_outputs, decoded as the engine reads them. */
  outputs(): Promise<Record<string, OutputValue>>
  progressState(): Promise<unknown>
  remoteHandle(): Promise<unknown>
}

export interface HarnessOptions {
  params?: Record<string, unknown>
  vars?: Record<string, string>
  steps?: TemplateScope['steps']
  transport?: Transport
  /** Reuse a database and an execution row: the context then resumes from its saved progress. */
  db?: Db
  taskId?: number
  executionId?: number
  /** The data folder downloads go to (default: the fresh database's temp folder). */
  dataDir?: string
  /** REMOTE_RUNS_DIR for detached commands (default ~/.topup/runs). */
  remoteRunsDir?: string
}

/**
 * The engine's own StepContext (createStepContext) over real parts: the local transport (or the one given), the
 * real template renderer, and an event store on a SQLite database in which outputs, durable progress, remote
 * handles and log lines are stored as the engine stores them. Log lines are also kept in `logs`, at once.
 */
export async function stepHarness<K extends StepType>(t: Teardown, step: StepOf<K>, options: HarnessOptions = {}): Promise<StepHarness<K>> {
  const fresh = options.db ? null : freshDatabase(t)
  const db = options.db ?? fresh!.db
  const taskId = options.taskId ?? await insertStepTask(db)
  const executionId = options.executionId ?? await insertExecution(db, taskId, step)
  const row = await db.selectFrom('task_executions').selectAll().where('id', '=', executionId).executeTakeFirstOrThrow()
  const scope: TemplateScope = {
    params: options.params ?? {},
    vars: options.vars ?? {},
    steps: options.steps ?? {},
    task: { id: taskId, user_id: 'tester' },
  }
  const transport = options.transport ?? new LocalTransport({ killGraceMs: 500 })
  const controller = new AbortController()
  const logs: LogEntry[] = []
  const events = new EventStore(db, new EventBus())
  const store: StepStore = {
    db,
    log: (line, write) => {
      logs.push({ level: line.level, message: line.message, source: line.source ?? undefined })
      events.log(line, write)
    },
    commit: (work) => events.commit(work),
    trackProgress: (id, snapshot) => events.trackProgress(id, snapshot),
  }
  t.teardown(() => events.flush())
  const state = stateOf(row)
  const transports = { transportFor: () => transport, hostDown: () => null, userOf: () => userInfo().username }
  const tracker = new JobTracker({ store: events, transports, logger: pino({ level: 'silent' }), timing: () => pollTiming(testConfig) })
  t.teardown(() => tracker.stop())
  // the jobs earlier steps recorded in this database are watched, as the engine's tracker would after a start
  await tracker.start()
  const { context } = createStepContext({
    store, transports, tracker, jobPollFailures: testConfig.JOB_POLL_FAILURES,
    dataDir: options.dataDir ?? fresh?.dir ?? tempDir(t), remoteRunsDir: options.remoteRunsDir ?? '~/.topup/runs',
  }, {
    task: scope.task, execution: { id: executionId, attempt: row.attempt }, step: step as StepDefinition, scope,
    resumed: state.progress, remoteHandle: state.remoteHandle,
  }, controller.signal)
  const column = async (name: 'progress_state' | 'remote_handle') => {
    await events.flush()
    const r = await db.selectFrom('task_executions').select(name).where('id', '=', executionId).executeTakeFirstOrThrow()
    return parseJsonColumn(r[name])
  }
  return {
    ctx: context as StepContext<K>, db, taskId, executionId, controller, logs,
    outputs: async () => {
      await events.flush()
      const rows = await db.selectFrom('step_outputs').select(['output_name', 'output_value', 'metadata'])
        .where('execution_id', '=', executionId).orderBy('id').execute()
      return Object.fromEntries(rows.map((r) => [r.output_name, decodeOutputValue(r) as OutputValue]))
    },
    progressState: () => column('progress_state'),
    remoteHandle: () => column('remote_handle'),
  }
}

function tempDir(t: Teardown): string {
  const dir = mkdtempSync(join(tmpdir(), 'topup-step-data-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

async function insertStepTask(db: Db): Promise<number> {
  const wf = await db.insertInto('workflows').values({
    name: 'step_test', display_name: 'Step test', version: '1', definition: '{}', definition_hash: `h${Math.random()}`,
  }).returning('id').executeTakeFirstOrThrow()
  const task = await insertTask(db, {
    user_id: 'tester', workflow_id: wf.id, workflow_name: 'step_test', workflow_snapshot: '{}', task_name: 'step test',
  }, [])
  return task.id
}

async function insertExecution(db: Db, taskId: number, step: { id: string; display_name: string; type: string }): Promise<number> {
  const row = await db.insertInto('task_executions').values({
    task_id: taskId, step_name: step.id, step_display_name: step.display_name, step_type: step.type, step_order: 0,
    status: 'running',
  }).returning('id').executeTakeFirstOrThrow()
  return row.id
}
