import { PAUSE_REASON } from './step-decision.js'

export const restartReason = (stepId: string) => `interrupted by restart during step ${stepId}`

export interface RecoveryInput {
  /** What the task was when the server stopped (`cancelling` tasks simply finish cancelling). */
  status: 'running' | 'pausing'
  /**
   * The step a crash or a shutdown interrupted, if any: whether it can continue from its durable progress
   * (canContinue) and whether the workflow declares it safe to run again.
   */
  interrupted: { stepId: string; resumable: boolean; idempotent: boolean } | null
}

export interface RecoveryChoice {
  to: 'queued' | 'paused'
  reason: string
  /** What the task's log says about the interrupted step; null when none was. */
  note: string | null
}

/**
 * What recovery does with a task that has no runner after a restart — one pure function, like decide(). A
 * pause that was asked for is honoured; a step that can continue, or may run again, is queued; any other
 * interrupted step may already have had effects, so its task pauses for a person.
 */
export function recoveryDecision({ status, interrupted }: RecoveryInput): RecoveryChoice {
  const { to, reason } = status === 'pausing'
    ? { to: 'paused' as const, reason: interrupted && !interrupted.resumable ? restartReason(interrupted.stepId) : PAUSE_REASON }
    : !interrupted || interrupted.resumable || interrupted.idempotent
      ? { to: 'queued' as const, reason: 'recovered after restart' }
      : { to: 'paused' as const, reason: restartReason(interrupted.stepId) }
  if (!interrupted) return { to, reason, note: null }
  const what = to === 'paused' ? 'paused for review'
    : interrupted.resumable ? 'continuing from its saved progress' : 'running it again (idempotent)'
  return { to, reason, note: `${restartReason(interrupted.stepId)}: ${what}` }
}
