const MINUTE_MS = 60_000

/**
 * A robot's sliding minute: the times of the messages sent to it in the last 60 s. A message is counted when it
 * is sent, whatever the answer (the robot counts what it receives), so the limit holds through failures too.
 */
export class RateWindow {
  readonly #times: number[]
  constructor(readonly limit: number, seeded: readonly number[] = []) {
    this.#times = [...seeded].sort((a, b) => a - b)
  }

  /** How many may go out at `now`. */
  room(now: number): number {
    while (this.#times.length > 0 && this.#times[0]! <= now - MINUTE_MS) this.#times.shift()
    return Math.max(0, this.limit - this.#times.length)
  }

  record(now: number): void {
    this.#times.push(now)
  }

  /** When the next one may go (after `room` said none may now). */
  reopensAt(): number {
    const sent = this.#times.length
    return sent < this.limit ? 0 : this.#times[sent - this.limit]! + MINUTE_MS
  }
}
