import type { TaskEvent } from '../../domain.js'

export interface TaskStreamOptions {
  taskId: number
  /** The last seq the client already has; everything after it is delivered. */
  afterSeq: number
  /**
   * Events of this task with seq > afterSeq, in seq order, at most `limit`. `signal` aborts when the stream
   * closes: a read still waiting for its turn (HistoryGate) then never runs.
   */
  readPage(afterSeq: number, limit: number, signal: AbortSignal): Promise<TaskEvent[]>
  /** Sends one event; false when the connection can take no more (the stream then stops). */
  deliver(event: TaskEvent): boolean
  /** Resolves once the connection's send buffer is low again; awaited between replay pages. */
  drained(): Promise<void>
  onError(error: unknown): void
  pageSize?: number
  /** Live events kept while the replay runs (or waits for its turn); past it they are read from the database instead. */
  maxPending?: number
  /** Wait before asking the database again when a live event is ahead of what it holds. */
  retryMs?: number
}

/**
 * One task subscription of one connection: replay from the database, then live events, in seq order with no
 * gap and no duplicate.
 *
 * The stream is registered for live events *before* the replay starts (the caller's job), so nothing
 * published during the replay is missed: such events wait in `pending`. Because every event is written to
 * the database before it is published, the database always holds at least what was published; so whenever
 * the next pending event is not `lastSeq + 1` (the replay has not reached it yet, or a live event jumped),
 * the database is read again from `lastSeq`, and pending events at or below `lastSeq` are dropped as
 * duplicates. Holes that exist in the database itself are not waited for: the read returns what is there.
 * For the same reason pending events may be forgotten: past `maxPending` (a replay waiting long for its turn
 * beside a busy task) they are dropped and the replay reads the database once more.
 */
export class TaskStream {
  readonly taskId: number
  private lastSeq: number
  private pending: TaskEvent[] = []
  private pumping = false
  private closed = false
  private retryTimer: NodeJS.Timeout | null = null
  private readonly stopped = new AbortController()
  /** Live events were forgotten (too many pending) since the current replay began: read again. */
  private forgot = false
  private readonly pageSize: number
  private readonly maxPending: number
  private readonly retryMs: number

  constructor(private readonly options: TaskStreamOptions) {
    this.taskId = options.taskId
    this.lastSeq = options.afterSeq
    this.pageSize = options.pageSize ?? 500
    this.maxPending = options.maxPending ?? 1000
    this.retryMs = options.retryMs ?? 100
  }

  /** The seq of the last event handed to the connection. */
  get lastSent(): number {
    return this.lastSeq
  }

  /** Runs the replay; resolves when the stream has caught up with the database. */
  start(): Promise<void> {
    return this.pump()
  }

  /** A live event of this task, straight from the bus. */
  push(event: TaskEvent): void {
    if (this.closed || event.seq <= this.lastSeq) return
    if (!this.pumping && this.pending.length === 0 && event.seq === this.lastSeq + 1) {
      this.send(event)
      return
    }
    if (this.pending.length >= this.maxPending) {
      // Every published event is in the database: a replay that waits long behind others keeps no more in memory.
      this.pending = []
      this.forgot = true
    }
    this.pending.push(event)
    if (!this.pumping) void this.pump()
  }

  close(): void {
    this.closed = true
    this.stopped.abort()
    this.pending = []
    if (this.retryTimer) clearTimeout(this.retryTimer)
    this.retryTimer = null
  }

  private async pump(): Promise<void> {
    if (this.pumping || this.closed) return
    this.pumping = true
    if (this.retryTimer) clearTimeout(this.retryTimer)
    this.retryTimer = null
    try {
      while (!this.closed) {
        const before = this.lastSeq
        this.forgot = false
        await this.replay()
        if (this.forgot) continue
        if (this.drainPending()) return
        if (this.lastSeq === before) {
          // A published event the database does not show yet: ask again shortly rather than spin.
          this.retryTimer = setTimeout(() => void this.pump(), this.retryMs)
          this.retryTimer.unref()
          return
        }
      }
    } catch (error) {
      // A stream closed meanwhile (its read cancelled, or failing after) has nobody left to tell.
      if (this.closed) return
      this.close()
      this.options.onError(error)
    } finally {
      this.pumping = false
    }
  }

  private async replay(): Promise<void> {
    while (!this.closed) {
      const page = await this.options.readPage(this.lastSeq, this.pageSize, this.stopped.signal)
      for (const event of page) {
        if (this.closed) return
        if (event.seq > this.lastSeq) this.send(event)
      }
      if (page.length < this.pageSize) return
      await this.options.drained()
      // A long history must not hold the event loop: let other connections and the engine run between pages.
      await new Promise((resolve) => setImmediate(resolve))
    }
  }

  /** Sends pending events that follow on; true when none is left, false when a gap remains. */
  private drainPending(): boolean {
    this.pending.sort((a, b) => a.seq - b.seq)
    let i = 0
    for (; i < this.pending.length && !this.closed; i++) {
      const event = this.pending[i]!
      if (event.seq <= this.lastSeq) continue
      if (event.seq !== this.lastSeq + 1) break
      this.send(event)
    }
    this.pending = this.pending.slice(i)
    return this.pending.length === 0 || this.closed
  }

  private send(event: TaskEvent): void {
    this.lastSeq = event.seq
    if (!this.options.deliver(event)) this.close()
  }
}
