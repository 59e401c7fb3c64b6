import { messageOf } from '../errors.js'

/**
 * How a transport or step reports that its AbortSignal fired: `reason` is the signal's reason
 * (an AbortReason such as 'cancel' or 'pause'), so callers can tell why the work stopped.
 */
export class AbortError extends Error {
  constructor(
    readonly reason: unknown,
    message = `aborted (${describe(reason)})`,
    /** Set when the abort stopped a process group: which one, and why it could not be killed (null: it was). */
    readonly kill: KillReport | null = null,
  ) {
    super(message)
    this.name = 'AbortError'
  }
}

export interface KillReport { pgid: number; error: string | null }

/** The AbortError of work whose process group was stopped; `failure` is the error of a kill that failed. */
export function abortedAfterKill(reason: unknown, pgid: number, failure: unknown): AbortError {
  const error = failure === null || failure === undefined ? null : messageOf(failure)
  return new AbortError(reason, undefined, { pgid, error })
}

export function isAbortError(error: unknown): error is AbortError {
  return error instanceof Error && error.name === 'AbortError'
}

function describe(reason: unknown): string {
  if (typeof reason === 'string') return reason
  if (reason instanceof Error) return reason.message
  return String(reason)
}
