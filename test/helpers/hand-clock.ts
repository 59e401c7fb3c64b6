import type { Clock } from '../../src/schedules/clock.js'

type Instant = number | string
const msOf = (at: Instant) => typeof at === 'number' ? at : Date.parse(at)

/**
 * A clock that stands still until the test moves it (schedules, notification rate windows): time is the test's,
 * never the machine's. Moving it fires the timers due on the way, in order, waiting for `settled` after each, so
 * what a timer set off is done before the clock goes on.
 */
export function handClock(start: Instant) {
  let now = msOf(start)
  let timers: { at: number; fn: () => void }[] = []
  const clock: Clock = {
    now: () => new Date(now),
    at(at, fn) {
      const timer = { at: at.getTime(), fn }
      timers.push(timer)
      return () => { timers = timers.filter((x) => x !== timer) }
    },
  }
  const advanceTo = async (to: Instant, settled: () => Promise<void>) => {
    const end = msOf(to)
    for (;;) {
      const due = timers.filter((x) => x.at <= end).sort((a, b) => a.at - b.at)[0]
      if (!due) break
      timers = timers.filter((x) => x !== due)
      now = due.at
      due.fn()
      await settled()
    }
    now = end
  }
  return {
    clock,
    now: () => now,
    /** Jumps to `to` without firing anything (the service was down meanwhile). */
    set(to: Instant) { now = msOf(to) },
    advanceTo,
    /** Moves by `ms`. */
    advance: (ms: number, settled: () => Promise<void>) => advanceTo(now + ms, settled),
  }
}
