import { saveProgressState, saveRemoteHandle } from '../db/execution-repository.js'
import { insertArtifact, insertValueOutput } from '../db/output-repository.js'
import type { HostTransports } from '../remote/transport-provider.js'
import type { AttemptState, StepContext } from '../steps/step-type.js'
import type { StepDefinition } from '../workflows/definition.js'
import { renderList, renderTemplate, type TemplateScope } from '../workflows/template.js'
import type { EventStore } from './event-store.js'

/** What a step's context writes through: the event store's log, transactions and tracked progress. */
export type StepStore = Pick<EventStore, 'db' | 'log' | 'commit' | 'trackProgress'>

export interface StepContextDeps {
  store: StepStore
  transports: HostTransports
  /** DATA_DIR, resolved. */
  dataDir: string
  /** REMOTE_RUNS_DIR: where detached commands keep their files on a host. */
  remoteRunsDir: string
}

export interface StepContextInput {
  task: { id: number; user_id: string }
  execution: { id: number; attempt: number }
  step: StepDefinition
  /** Shared with later steps: outputs recorded here are added to it. */
  scope: TemplateScope
  resumed: unknown
  remoteHandle: Record<string, unknown> | null
}

/**
 * The StepContext the engine hands to a step — also what the step tests run against (test/helpers/step-context.ts).
 * `state` is what the attempt has recorded so far (progress saved, remote handle); `onHandle` is called once a
 * handle is recorded, since that may change whether the step can stop now.
 */
export function createStepContext(
  deps: StepContextDeps, input: StepContextInput, signal: AbortSignal, onHandle: () => void = () => {},
): { context: StepContext; state: AttemptState } {
  const { task, execution, step, scope } = input
  const { store } = deps
  const state: AttemptState = { remoteHandle: null, progress: input.resumed }
  const outputs = (scope.steps[step.id] ??= { outputs: {} }).outputs
  const context: StepContext = {
    task, execution, step: step as StepContext['step'], signal, dataDir: deps.dataDir, remoteRunsDir: deps.remoteRunsDir,
    render: (template, options) => renderTemplate(template, scope, options),
    renderList: (template) => renderList(template, scope),
    log: (level, message, source) => store.log({ taskId: task.id, executionId: execution.id, level, message, source: source ?? null }),
    transport: () => deps.transports.transportFor(step.host),
    setOutput: async (name, value) => {
      await store.commit(async (trx, emit) => {
        await insertValueOutput(trx, { execution_id: execution.id, task_id: task.id, output_name: name, value })
        await emit.event(task.id, {
          type: 'step.output',
          data: { execution_id: execution.id, step_id: step.id, name, output_type: 'value', value },
        })
      })
      outputs[name] = value
    },
    addArtifact: async (file) => {
      await store.commit(async (trx, emit) => {
        await insertArtifact(trx, { execution_id: execution.id, task_id: task.id, ...file })
        await emit.event(task.id, {
          type: 'step.output',
          data: {
            execution_id: execution.id, step_id: step.id, name: file.name, output_type: 'artifact',
            value: { path: file.path, size: file.size, sha256: file.sha256, remote_path: file.remotePath },
          },
        })
      })
    },
    progress: {
      resumed: input.resumed,
      save: async (progress) => {
        state.progress = progress
        await store.commit((trx) => saveProgressState(trx, execution.id, progress))
      },
      saveWithLog: (snapshot) => store.trackProgress(execution.id, snapshot),
    },
    setRemoteHandle: async (handle) => {
      await saveRemoteHandle(store.db, execution.id, handle)
      state.remoteHandle = handle
      onHandle()
    },
    remoteHandle: input.remoteHandle,
  }
  return { context, state }
}
