import type { ExecutionStatus, TaskStatus } from '../domain.js'
import type { Advice } from '../workflows/definition.js'
import type { StopRequest } from './stop-handle.js'

/** How one attempt of a step ended, as the runner saw it. */
export interface AttemptResult {
  status: 'success' | 'failed' | 'timeout' | 'interrupted' | 'cancelled'
  error: string | null
  retryable: boolean
  summary: string | null
  /** A person must look before anything else runs (StepOutcome.review): the task pauses. */
  review?: boolean
}

export type Decision =
  | { kind: 'next' }
  | { kind: 'succeed' }
  | { kind: 'retry' }
  | { kind: 'pause'; at: 'same' | 'next'; reason: string }
  | { kind: 'fail'; message: string }
  | { kind: 'cancel' }
  /** Shutdown: leave the task `running` with its cursor, for recovery at the next start. */
  | { kind: 'halt'; at: 'same' | 'next' }

export interface DecisionInput {
  result: AttemptResult
  stop: StopRequest | null
  stepId: string
  onFailure: 'stop' | 'continue' | 'pause'
  pauseAfter: boolean
  /** What the person should look at when `pauseAfter` pauses (the step's `review`), added to the reason. */
  reviewNote?: string | undefined
  retriesLeft: boolean
  isLast: boolean
  /** Set when the step's host counts as down: why ("host beslogin unreachable: …"). */
  hostDown?: string | null
  /** The workflow's advice (definition.ts), added to the reason of a failure or of a pause the step brought. */
  advice?: readonly Advice[] | undefined
}

export const REVIEW_REASON = 'waiting for review'
export const PAUSE_REASON = 'paused on request'
export const reviewReason = (stepId: string, error: string) => `stopped for review: ${stepId}: ${error}`

/**
 * The stop a task's status asks for, read in the transaction that acts on it; a shutdown of this process only
 * counts when no request of the task's own came first.
 */
export function requestedStop(status: TaskStatus | undefined, shuttingDown: boolean): StopRequest | null {
  return status === 'cancelling' ? 'cancel' : status === 'pausing' ? 'pause' : shuttingDown ? 'shutdown' : null
}

/**
 * Where a requested stop leaves the task at a step boundary (`at`: the step just tried, or the next one): a cancel
 * ends it, a pause pauses it, a shutdown leaves it `running` with its cursor for recovery at the next start.
 */
export function stopDecision(stop: StopRequest, at: 'same' | 'next'): Decision {
  switch (stop) {
    case 'cancel': return { kind: 'cancel' }
    case 'pause': return { kind: 'pause', at, reason: PAUSE_REASON }
    case 'shutdown': return { kind: 'halt', at }
  }
}

/** "<reason> — <advice>" with the first advice whose pattern matches the reason; the reason alone when none does. */
export function withAdvice(reason: string, advice: readonly Advice[] | undefined): string {
  const rule = advice?.find((a) => new RegExp(a.match, a.ignore_case ? 'iu' : 'u').test(reason))
  return rule ? `${reason} — ${rule.advice}` : reason
}

/**
 * What the runner does after an attempt: one pure function of the attempt's result, the stop requested
 * meanwhile (read from the task's status in the same transaction) and the step's settings. A failure or a pause
 * the step brought gets the workflow's advice; a pause a person asked for does not.
 */
export function decide(input: DecisionInput): { decision: Decision; executionStatus: ExecutionStatus } {
  const decided = decideBare(input)
  const { decision } = decided
  if (decision.kind === 'fail') return { ...decided, decision: { ...decision, message: withAdvice(decision.message, input.advice) } }
  if (decision.kind === 'pause' && decision.reason !== PAUSE_REASON) {
    return { ...decided, decision: { ...decision, reason: withAdvice(decision.reason, input.advice) } }
  }
  return decided
}

function decideBare(input: DecisionInput): { decision: Decision; executionStatus: ExecutionStatus } {
  const { result, stop } = input
  if (stop === 'cancel') {
    const executionStatus = result.status === 'success' ? 'success' : 'cancelled'
    return { decision: { kind: 'cancel' }, executionStatus }
  }
  // A pause or shutdown asked for meanwhile takes effect at the boundary the attempt reached.
  const requested = (at: 'same' | 'next'): Decision | null => stop === null ? null : stopDecision(stop, at)
  // A step that must wait for a person or for its host pauses the task, but a shutdown leaves that to recovery.
  const hold = (reason: string): Decision => stop === 'shutdown' ? stopDecision(stop, 'same') : { kind: 'pause', at: 'same', reason }
  const moveOn = (): Decision => input.isLast ? { kind: 'succeed' } : requested('next') ?? { kind: 'next' }
  if (result.status === 'success') {
    // After the last step too: the review is the point, and resuming then completes the task.
    if (input.pauseAfter) {
      const reason = input.reviewNote ? `${REVIEW_REASON}: ${input.reviewNote}` : REVIEW_REASON
      return { decision: { kind: 'pause', at: 'next', reason }, executionStatus: 'success' }
    }
    return { decision: moveOn(), executionStatus: 'success' }
  }
  if (result.review) {
    const executionStatus = result.status === 'interrupted' ? 'interrupted' : 'failed'
    return { decision: hold(reviewReason(input.stepId, result.error ?? result.status)), executionStatus }
  }
  // Stopped for a pause or a shutdown: the step runs again (or continues from its progress) later.
  const stopped = result.status === 'interrupted' ? requested('same') : null
  if (stopped) return { decision: stopped, executionStatus: 'interrupted' }
  // An attempt that stopped although nobody asked it to counts as a failure — unless it was cut off and can
  // continue (interrupted): then the next attempt, after a retry or a resume, takes it up from its progress.
  const executionStatus: ExecutionStatus = result.status === 'timeout' ? 'timeout'
    : result.status === 'interrupted' ? 'interrupted' : 'failed'
  // Retrying against a host that keeps failing only burns the retries: a person resumes once it is back.
  if (result.retryable && input.hostDown) return { decision: hold(input.hostDown), executionStatus }
  if (result.retryable && input.retriesLeft) return { decision: requested('same') ?? { kind: 'retry' }, executionStatus }
  if (input.onFailure === 'continue') return { decision: moveOn(), executionStatus }
  const why = result.error ?? (result.status === 'timeout' ? 'timed out' : 'failed')
  // on_failure "pause": a person looks (abnormal data, a failed check) and resumes, e.g. with retry_from_step
  if (input.onFailure === 'pause') return { decision: { kind: 'pause', at: 'same', reason: reviewReason(input.stepId, why) }, executionStatus }
  return { decision: { kind: 'fail', message: `step ${input.stepId} failed: ${why}` }, executionStatus }
}
