import { AbortError } from '../abort-error.js'

/**
 * Counts the session channels open on one connection and keeps them below the server's MaxSessions. Waiters
 * are served strictly first come, first served, so a burst of steps cannot starve an earlier one. `urgent`
 * requests (the kill of a cancelled command) may use one reserve slot beyond the limit and skip the queue:
 * a cancel must not wait behind the very work it is cancelling.
 */
export class ChannelBudget {
  private open = 0
  private readonly queue: Array<{ grant: () => void }> = []

  constructor(readonly limit: number) {}

  get inUse(): number {
    return this.open
  }

  get waiting(): number {
    return this.queue.length
  }

  acquire(signal?: AbortSignal, urgent = false): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(new AbortError(signal.reason))
    if ((this.queue.length === 0 && this.open < this.limit) || (urgent && this.open < this.limit + 1)) {
      return Promise.resolve(this.take())
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        grant: () => {
          signal?.removeEventListener('abort', onAbort)
          resolve(this.take())
        },
      }
      const onAbort = () => {
        const index = this.queue.indexOf(waiter)
        if (index >= 0) this.queue.splice(index, 1)
        reject(new AbortError(signal!.reason))
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.queue.push(waiter)
    })
  }

  private take(): () => void {
    this.open++
    let released = false
    return () => {
      if (released) return
      released = true
      this.open--
      while (this.open < this.limit && this.queue.length > 0) this.queue.shift()!.grant()
    }
  }
}
