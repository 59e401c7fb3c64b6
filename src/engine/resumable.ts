import { parseJsonColumn } from '../db/execution-repository.js'
import type { ExecutionRow } from '../db/tables.js'
import type { AttemptState, StepImplementation } from '../steps/step-type.js'

/**
 * The engine's one answer to "can this step continue after an interruption?": asked while it runs (does a
 * pause or shutdown stop it at once?), at boot (continue it, or pause the task rather than run a command
 * twice?) and when the next attempt begins (hand it the previous attempt's progress and handle?).
 */
export function canContinue(impl: StepImplementation | undefined, state: AttemptState): boolean {
  if (!impl) return false
  return impl.canResume ? impl.canResume(state) : impl.interruptible
}

export function stateOf(execution: Pick<ExecutionRow, 'remote_handle' | 'progress_state'>): AttemptState {
  return {
    remoteHandle: parseJsonColumn<Record<string, unknown>>(execution.remote_handle),
    progress: parseJsonColumn(execution.progress_state),
  }
}

/** What the next attempt continues from: the previous attempt's state when it was interrupted and can continue. */
export function resumedProgress(previous: ExecutionRow | undefined, impl: StepImplementation | undefined):
  { resumed: unknown; remoteHandle: Record<string, unknown> | null } {
  if (!previous || previous.status !== 'interrupted') return { resumed: null, remoteHandle: null }
  const state = stateOf(previous)
  if (!canContinue(impl, state)) return { resumed: null, remoteHandle: null }
  return { resumed: state.progress, remoteHandle: state.remoteHandle }
}
