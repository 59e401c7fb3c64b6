/**
 * A token bucket: `burst` messages at once, then `perSecond` on average. `take()` spends one; false once the
 * bucket is empty. The clock is a parameter so that a test can drive it.
 */
export class MessageBudget {
  private tokens: number
  private last: number

  constructor(private readonly burst: number, private readonly perSecond: number, private readonly now = () => performance.now()) {
    this.tokens = burst
    this.last = now()
  }

  take(): boolean {
    const now = this.now()
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.perSecond)
    this.last = now
    if (this.tokens < 1) return false
    this.tokens -= 1
    return true
  }
}
