import { saveProgressState, saveRemoteHandle } from '../db/execution-repository.js'
import { insertArtifact, insertValueOutput } from '../db/output-repository.js'
import type { HostTransports } from '../remote/transport-provider.js'
import type { AttemptState, StepContext } from '../steps/step-type.js'
import type { StepDefinition } from '../workflows/definition.js'
import { renderList, renderTemplate, type TemplateScope } from '../workflows/template.js'
import type { EventStore } from './event-store.js'
import { jobsOfStep } from '../db/job-repository.js'
import { instanceId } from '../db/instance-repository.js'
import type { JobTracker } from './job-tracker.js'

/** What a step's context writes through: the event store's log, transactions and tracked progress. */
export type StepStore = Pick<EventStore, 'db' | 'log' | 'commit' | 'trackProgress'>

export interface StepContextDeps {
  store: StepStore
  transports: HostTransports
  /** DATA_DIR, resolved. */
  dataDir: string
  /** REMOTE_RUNS_DIR: where detached commands keep their files on a host. */
  remoteRunsDir: string
  tracker: JobTracker
  /** JOB_POLL_FAILURES: failed polls in a row after which a wait on the host's jobs pauses its task. */
  jobPollFailures: number
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
): { context: StepContext; state: AttemptState; dispose: () => void } {
  const { task, execution, step, scope } = input
  const { store, tracker } = deps
  const state: AttemptState = { remoteHandle: null, progress: input.resumed }
  const outputs = (scope.steps[step.id] ??= { outputs: {} }).outputs
  const host = step.host ?? 'local'
  // A wait re-reads its jobs after every change: the subscription starts before the first read, so that a
  // change between a read and the next wait is never missed.
  let changed = false
  let wake: (() => void) | null = null
  let unsubscribe: (() => void) | null = null
  const subscribe = () => {
    unsubscribe ??= tracker.onTaskChange(task.id, () => { changed = true; wake?.() })
  }
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
    jobs: {
      logRevealed: (message, source, spec, ids) => {
        const now = new Date().toISOString()
        store.log({ taskId: task.id, executionId: execution.id, level: 'info', message, source }, async (trx, emit) => {
          await tracker.record(trx, emit, ids.map((id) => ({
            task_id: task.id, execution_id: execution.id, step_name: step.id, host, system: spec.system,
            tools: spec.tools, job_id: id, hold_on_pause: spec.holdOnPause ? 1 : 0, submitted_at: now, state_since: now,
          })))
        })
      },
      ofStep: async (stepId) => {
        subscribe()
        changed = false
        return jobsOfStep(store.db, task.id, stepId)
      },
      changed: (ms) => {
        subscribe()
        if (changed || signal.aborted) return Promise.resolve()
        return new Promise<void>((resolve) => {
          const done = () => { clearTimeout(timer); signal.removeEventListener('abort', done); wake = null; resolve() }
          const timer = setTimeout(done, ms)
          signal.addEventListener('abort', done)
          wake = done
        })
      },
      health: (key) => ({ ...tracker.health(key), limit: deps.jobPollFailures }),
      lagWindowMs: () => tracker.lagWindowMs(host),
      submissionTag: async () => `topup-${await instanceId(store.db)}-t${task.id}-e${execution.id}`,
    },
  }
  return { context, state, dispose: () => unsubscribe?.() }
}
