/**
 * Answers by key, each reused for `ttlMs` after it arrived; a load still on its way is shared by every request
 * for its key (one command on the site, however many pages ask). A failed load is not kept: the next request
 * tries again. `refresh` starts a new load whatever is kept.
 */
export class ListingCache<T> {
  private readonly entries = new Map<string, { promise: Promise<T>; arrivedAt: number | null }>()

  constructor(private readonly ttlMs: number, private readonly now: () => number = Date.now) {}

  /** The kept answer (`cached: true`) or a new one from `load`. */
  async get(key: string, load: () => Promise<T>, refresh = false): Promise<{ value: T; cached: boolean }> {
    this.dropStale()
    const kept = this.entries.get(key)
    if (kept && !refresh) return { value: await kept.promise, cached: true }
    const entry: { promise: Promise<T>; arrivedAt: number | null } = { promise: load(), arrivedAt: null }
    this.entries.set(key, entry)
    try {
      const value = await entry.promise
      entry.arrivedAt = this.now()
      return { value, cached: false }
    } catch (error) {
      if (this.entries.get(key) === entry) this.entries.delete(key)
      throw error
    }
  }

  /** Keys asked for once are not kept for ever. */
  private dropStale(): void {
    const now = this.now()
    for (const [key, entry] of this.entries) {
      if (entry.arrivedAt !== null && now - entry.arrivedAt >= this.ttlMs) this.entries.delete(key)
    }
  }
}
