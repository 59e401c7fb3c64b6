import type { FastifyReply } from 'fastify'
import { AppError } from '../../errors.js'

/** Thrown to a read that gave up its place in line (its connection closed) before it ran. */
export class ReadCancelled extends Error {
  constructor() {
    super('the read was cancelled before it ran')
    this.name = 'ReadCancelled'
  }
}

export interface HistoryGateOptions {
  /** Reads running at once. */
  max: number
  /** Reads that may wait when all run; beyond, a read that asks to be refused rather than wait is (`run(…, {refuse})`). */
  maxWaiting: number
}

interface Waiter { start: () => void }

/**
 * The one bound on event and log history reads across the server: WebSocket replays (a page at a time) and the
 * REST events and logs pages. better-sqlite3 answers every query synchronously on one connection, so each read
 * holds the event loop; without a bound, thousands of queued replays make every other request (and the engine's
 * writes) wait behind all of them. Waiters are served first come, first served; one whose connection closed
 * leaves the line without running.
 */
export class HistoryGate {
  private running = 0
  private readonly line: Waiter[] = []
  /** Reads run so far, and the most that ever ran at once (for tests and the bench). */
  readonly stats = { reads: 0, peak: 0 }

  constructor(private readonly options: HistoryGateOptions) {}

  get waiting(): number {
    return this.line.length
  }

  /**
   * Runs `read` once a slot is free. Rejects with ReadCancelled when `signal` aborts before it ran, and with
   * HistoryGateFull when `refuse` is set and the line is already `maxWaiting` long.
   */
  async run<T>(read: () => Promise<T>, options: { signal?: AbortSignal; refuse?: boolean } = {}): Promise<T> {
    const { signal } = options
    if (signal?.aborted) throw new ReadCancelled()
    if (this.running >= this.options.max) {
      if (options.refuse && this.line.length >= this.options.maxWaiting) throw new HistoryGateFull()
      await this.wait(signal)
    } else {
      this.running++
    }
    this.stats.reads++
    this.stats.peak = Math.max(this.stats.peak, this.running)
    try {
      return await read()
    } finally {
      this.release()
    }
  }

  /** Resolves holding a slot (handed over by `release`), or rejects when `signal` aborts first. */
  private wait(signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        const at = this.line.indexOf(waiter)
        if (at >= 0) this.line.splice(at, 1)
        reject(new ReadCancelled())
      }
      const waiter: Waiter = {
        start: () => { signal?.removeEventListener('abort', onAbort); resolve() },
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.line.push(waiter)
    })
  }

  private release(): void {
    const next = this.line.shift()
    // The slot passes straight to the next in line, so `running` stays as it is.
    if (next) next.start()
    else this.running--
  }
}

export class HistoryGateFull extends Error {
  constructor() {
    super('too many history reads waiting')
    this.name = 'HistoryGateFull'
  }
}

/** What the OpenAPI description of a gated route says about it. */
export const gatedNote = 'Pages are read a few at a time across the server (HISTORY_READS_MAX); when too many wait '
  + '(HISTORY_READS_QUEUE), 503 with Retry-After.'

/**
 * One REST page through the gate: refused with 503 (and Retry-After) when the line is full, dropped from the
 * line when the client goes away before its turn.
 */
export async function gatedPage<T>(gate: HistoryGate, reply: FastifyReply, read: () => Promise<T>): Promise<T> {
  const gone = new AbortController()
  const onClose = () => gone.abort()
  reply.raw.once('close', onClose)
  try {
    return await gate.run(read, { signal: gone.signal, refuse: true })
  } catch (error) {
    // Nobody reads the answer to a request whose client has gone; it must only not count as a server fault.
    if (error instanceof ReadCancelled) throw new AppError('service_unavailable', 'the request was closed before it was read')
    if (!(error instanceof HistoryGateFull)) throw error
    reply.header('retry-after', '1')
    throw new AppError('service_unavailable',
      'too many event and log reads are waiting (HISTORY_READS_QUEUE); retry in a second')
  } finally {
    reply.raw.off('close', onClose)
  }
}
