/**
 * How a transport or step reports that its AbortSignal fired: `reason` is the signal's reason
 * (an AbortReason such as 'cancel' or 'pause'), so callers can tell why the work stopped.
 */
export class AbortError extends Error {
  constructor(readonly reason: unknown, message = `aborted (${describe(reason)})`) {
    super(message)
    this.name = 'AbortError'
  }
}

export function isAbortError(error: unknown): error is AbortError {
  return error instanceof Error && error.name === 'AbortError'
}

export function abortErrorOf(signal: AbortSignal): AbortError {
  return new AbortError(signal.reason)
}

function describe(reason: unknown): string {
  if (typeof reason === 'string') return reason
  if (reason instanceof Error) return reason.message
  return String(reason)
}
