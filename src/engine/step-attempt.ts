import type { Logger } from 'pino'
import type { Db } from '../db/connect.js'
import { saveProgressState, saveRemoteHandle } from '../db/execution-repository.js'
import type { AttemptState } from '../steps/step-type.js'
import { insertArtifact, insertValueOutput } from '../db/output-repository.js'
import { TransportError } from '../remote/transport.js'
import type { HostTransports } from '../remote/transport-provider.js'
import { isAbortError } from '../remote/abort-error.js'
import type { StepContext, StepImplementation, StepOutcome } from '../steps/step-type.js'
import type { StepDefinition } from '../workflows/definition.js'
import { renderList, renderTemplate, TemplateError, type TemplateScope } from '../workflows/template.js'
import type { EventStore } from './event-store.js'
import { startHeartbeat } from './heartbeat.js'
import { canContinue } from './resumable.js'
import type { AttemptResult } from './step-decision.js'
import type { TaskRun } from './task-run.js'

export interface AttemptInput {
  task: { id: number; user_id: string }
  execution: { id: number; attempt: number }
  step: StepDefinition
  impl: StepImplementation
  /** Shared with later steps: outputs recorded here are added to it. */
  scope: TemplateScope
  resumed: unknown
  remoteHandle: Record<string, unknown> | null
  timeoutMs: number
  run: TaskRun
}

export interface AttemptDeps {
  db: Db
  store: EventStore
  transports: HostTransports
  /** DATA_DIR, resolved. */
  dataDir: string
  /** REMOTE_RUNS_DIR: where detached commands keep their files on a host. */
  remoteRunsDir: string
  heartbeatMs: number
  logger: Logger
}

/**
 * Runs one attempt of a step: builds its StepContext, arms the timeout, and turns whatever the step did —
 * an outcome, an exception, an abort — into an AttemptResult. The execution row is opened and closed by the
 * runner, in the transactions that also decide what comes next.
 */
export async function runAttempt(deps: AttemptDeps, input: AttemptInput): Promise<AttemptResult> {
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort('timeout'), input.timeoutMs)
  const stopHeartbeat = startHeartbeat(deps.db, input.task.id, input.execution.id, deps.heartbeatMs, (error) =>
    deps.logger.warn({ err: error, task_id: input.task.id, execution_id: input.execution.id }, 'could not write a heartbeat'))
  // what the attempt has recorded so far: whether a pause or shutdown may stop it is asked of this
  const live: AttemptState = { remoteHandle: null, progress: input.resumed }
  input.run.attach(controller, () => canContinue(input.impl, live))
  try {
    const outcome = await input.impl.run(buildContext(deps, input, controller.signal, live))
    return withTimeoutText(fromOutcome(outcome, controller.signal), input.timeoutMs)
  } catch (error) {
    return withTimeoutText(fromError(error, controller.signal), input.timeoutMs)
  } finally {
    clearTimeout(timer)
    stopHeartbeat()
    input.run.detach()
  }
}

function buildContext(deps: AttemptDeps, input: AttemptInput, signal: AbortSignal, live: AttemptState): StepContext {
  const { task, execution, step, scope } = input
  const outputs = (scope.steps[step.id] ??= { outputs: {} }).outputs
  return {
    task, execution, step: step as StepContext['step'], signal, dataDir: deps.dataDir, remoteRunsDir: deps.remoteRunsDir,
    render: (template, options) => renderTemplate(template, scope, options),
    renderList: (template) => renderList(template, scope),
    log: (level, message, source) => deps.store.log(task.id, execution.id, level, message, source ?? null),
    transport: () => deps.transports.transportFor(step.host),
    setOutput: async (name, value) => {
      await deps.store.commit(async (trx, emit) => {
        await insertValueOutput(trx, { execution_id: execution.id, task_id: task.id, output_name: name, value })
        await emit.event(task.id, {
          type: 'step.output',
          data: { execution_id: execution.id, step_id: step.id, name, output_type: 'value', value },
        })
      })
      outputs[name] = value
    },
    addArtifact: async (file) => {
      await deps.store.commit(async (trx, emit) => {
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
      save: async (state) => {
        live.progress = state
        await deps.store.commit((trx) => saveProgressState(trx, execution.id, state))
      },
      saveWithLog: (snapshot) => deps.store.trackProgress(execution.id, snapshot),
    },
    setRemoteHandle: async (handle) => {
      await saveRemoteHandle(deps.db, execution.id, handle)
      live.remoteHandle = handle
      input.run.recheck()
    },
    remoteHandle: input.remoteHandle,
  }
}

function fromOutcome(outcome: StepOutcome, signal: AbortSignal): AttemptResult {
  const summary = outcome.summary ?? null
  if (outcome.status === 'success') return { status: 'success', error: null, retryable: false, summary }
  if (signal.aborted) return aborted(signal, outcome.status === 'failed' ? outcome.error : null, summary)
  const review = outcome.review === true ? { review: true } : {}
  if (outcome.status === 'interrupted') return { status: 'interrupted', error: outcome.error ?? null, retryable: true, summary, ...review }
  return { status: 'failed', error: outcome.error, retryable: outcome.retryable ?? true, summary, ...review }
}

function fromError(error: unknown, signal: AbortSignal): AttemptResult {
  const message = error instanceof Error ? error.message : String(error)
  if (signal.aborted || isAbortError(error)) return aborted(signal, message, null)
  if (error instanceof TransportError) {
    return { status: 'failed', error: `${error.kind} (${error.hostChain}): ${message}`, retryable: error.retryable, summary: null }
  }
  // A template that cannot render will not render on a retry either.
  if (error instanceof TemplateError) return { status: 'failed', error: message, retryable: false, summary: null }
  return { status: 'failed', error: message, retryable: true, summary: null }
}

function aborted(signal: AbortSignal, error: string | null, summary: string | null): AttemptResult {
  switch (signal.reason) {
    case 'timeout': return { status: 'timeout', error: error ?? 'timed out', retryable: true, summary }
    case 'cancel': return { status: 'cancelled', error: error ?? 'cancelled', retryable: false, summary }
    default: return { status: 'interrupted', error, retryable: true, summary }
  }
}

function withTimeoutText(result: AttemptResult, timeoutMs: number): AttemptResult {
  if (result.status !== 'timeout') return result
  const minutes = timeoutMs / 60_000
  return { ...result, error: `timed out after ${Number(minutes.toFixed(3))} minute(s)` }
}
