import type { Logger } from 'pino'
import type { Db } from '../db/connect.js'
import { TransportError } from '../remote/transport.js'
import { isAbortError } from '../remote/abort-error.js'
import type { StepImplementation, StepOutcome } from '../steps/step-type.js'
import { TemplateError } from '../workflows/template.js'
import type { EventStore } from './event-store.js'
import { startHeartbeat } from './heartbeat.js'
import { canContinue } from './resumable.js'
import { createStepContext, type StepContextDeps, type StepContextInput } from './step-context.js'
import type { AttemptResult } from './step-decision.js'
import type { StopHandle } from './stop-handle.js'
import { messageOf } from '../errors.js'

export interface AttemptInput extends StepContextInput {
  impl: StepImplementation
  timeoutMs: number
  run: StopHandle
}

export interface AttemptDeps extends StepContextDeps {
  store: EventStore
  db: Db
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
  const { context, state, dispose } = createStepContext(deps, input, controller.signal, () => input.run.recheck())
  // whether a pause or shutdown may stop the step is asked of what it has recorded so far
  input.run.attach(controller, () => canContinue(input.impl, state))
  try {
    const outcome = await input.impl.run(context)
    return withTimeoutText(fromOutcome(outcome, controller.signal), input.timeoutMs)
  } catch (error) {
    return withTimeoutText(fromError(error, controller.signal), input.timeoutMs)
  } finally {
    clearTimeout(timer)
    stopHeartbeat()
    dispose()
    input.run.detach()
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
  const message = messageOf(error)
  if (signal.aborted || isAbortError(error)) return aborted(signal, message, null)
  if (error instanceof TransportError) {
    return { status: 'failed', error: error.describe(), retryable: error.retryable, summary: null }
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
