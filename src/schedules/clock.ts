/** Time as the scheduler sees it: the real clock in the server, a hand-moved one in tests. */
export interface Clock {
  now(): Date
  /** Calls `fn` once at `at` (at once when that has passed); returns what cancels it. */
  at(at: Date, fn: () => void): () => void
}

/** setTimeout cannot wait longer than 2^31 - 1 ms (about 24.8 days): longer waits are taken in steps. */
const LONGEST_WAIT_MS = 2 ** 31 - 1

export const systemClock: Clock = {
  now: () => new Date(),
  at(at, fn) {
    let timer: NodeJS.Timeout
    const arm = () => {
      const wait = at.getTime() - Date.now()
      timer = wait > LONGEST_WAIT_MS ? setTimeout(arm, LONGEST_WAIT_MS) : setTimeout(fn, Math.max(0, wait))
      timer.unref()
    }
    arm()
    return () => clearTimeout(timer)
  },
}
