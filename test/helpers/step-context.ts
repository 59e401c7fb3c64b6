import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Db } from '../../src/db/connect.js'
import type { LogLevel } from '../../src/domain.js'
import { LocalTransport } from '../../src/remote/local/local-transport.js'
import type { Transport } from '../../src/remote/transport.js'
import type { StepContext } from '../../src/steps/step-type.js'
import type { StepOf, StepType } from '../../src/workflows/definition.js'
import { renderList, renderTemplate, type OutputValue, type TemplateScope } from '../../src/workflows/template.js'
import { insertArtifact } from '../../src/db/output-repository.js'
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
  /** Outputs as recorded in step_outputs (values JSON-decoded). */
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
 * A StepContext over real parts: the local transport, the real template renderer, and a SQLite database in
 * which outputs, durable progress and remote handles are stored in the columns the engine uses.
 */
export async function stepHarness<K extends StepType>(t: Teardown, step: StepOf<K>, options: HarnessOptions = {}): Promise<StepHarness<K>> {
  const fresh = options.db ? null : freshDatabase(t)
  const db = options.db ?? fresh!.db
  const taskId = options.taskId ?? await insertTask(db)
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
  const saveProgress = async (state: unknown) => {
    await db.updateTable('task_executions').set({ progress_state: JSON.stringify(state) })
      .where('id', '=', executionId).execute()
  }
  const ctx: StepContext<K> = {
    task: scope.task,
    execution: { id: executionId, attempt: row.attempt },
    step,
    dataDir: options.dataDir ?? fresh?.dir ?? tempDir(t),
    remoteRunsDir: options.remoteRunsDir ?? '~/.topup/runs',
    render: (template, o) => renderTemplate(template, scope, o),
    renderList: (template) => renderList(template, scope),
    signal: controller.signal,
    log: (level, message, source) => { logs.push({ level, message, source }) },
    transport: () => transport,
    setOutput: async (name, value) => {
      await db.insertInto('step_outputs').values({
        execution_id: executionId, task_id: taskId, output_name: name, output_type: 'value',
        output_value: JSON.stringify(value),
      }).execute()
    },
    addArtifact: async (file) => {
      await insertArtifact(db, { execution_id: executionId, task_id: taskId, ...file })
    },
    progress: {
      resumed: row.progress_state === null ? null : JSON.parse(row.progress_state),
      save: saveProgress,
      // the engine writes it with the log lines; here the log is in memory, so at once
      saveWithLog: (snapshot) => { void saveProgress(snapshot()) },
    },
    setRemoteHandle: async (handle) => {
      await db.updateTable('task_executions').set({ remote_handle: JSON.stringify(handle) })
        .where('id', '=', executionId).execute()
    },
    remoteHandle: row.remote_handle === null ? null : JSON.parse(row.remote_handle),
  }
  return {
    ctx, db, taskId, executionId, controller, logs,
    outputs: async () => {
      const rows = await db.selectFrom('step_outputs').select(['output_name', 'output_value'])
        .where('execution_id', '=', executionId).orderBy('id').execute()
      return Object.fromEntries(rows.map((r) => [r.output_name, JSON.parse(r.output_value ?? 'null')]))
    },
    progressState: async () => {
      const r = await db.selectFrom('task_executions').select('progress_state').where('id', '=', executionId).executeTakeFirstOrThrow()
      return r.progress_state === null ? null : JSON.parse(r.progress_state)
    },
    remoteHandle: async () => {
      const r = await db.selectFrom('task_executions').select('remote_handle').where('id', '=', executionId).executeTakeFirstOrThrow()
      return r.remote_handle === null ? null : JSON.parse(r.remote_handle)
    },
  }
}

function tempDir(t: Teardown): string {
  const dir = mkdtempSync(join(tmpdir(), 'topup-step-data-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

async function insertTask(db: Db): Promise<number> {
  const wf = await db.insertInto('workflows').values({
    name: 'step_test', display_name: 'Step test', version: '1', definition: '{}', definition_hash: `h${Math.random()}`,
  }).returning('id').executeTakeFirstOrThrow()
  const task = await db.insertInto('tasks').values({
    user_id: 'tester', workflow_id: wf.id, workflow_name: 'step_test', workflow_snapshot: '{}', task_name: 'step test',
  }).returning('id').executeTakeFirstOrThrow()
  return task.id
}

async function insertExecution(db: Db, taskId: number, step: { id: string; display_name: string; type: string }): Promise<number> {
  const row = await db.insertInto('task_executions').values({
    task_id: taskId, step_name: step.id, step_display_name: step.display_name, step_type: step.type, step_order: 0,
    status: 'running',
  }).returning('id').executeTakeFirstOrThrow()
  return row.id
}
