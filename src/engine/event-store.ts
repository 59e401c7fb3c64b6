import type { Db } from '../db/connect.js'
import { allocateSeq, appendEvent, insertLogs, type LogInsert } from '../db/event-repository.js'
import { saveProgressState } from '../db/execution-repository.js'
import { storageFault } from '../db/storage-fault.js'
import type { EventBus } from './bus.js'
import { retryDelaySeconds, type RetryPolicy } from './retry-policy.js'
import type { LogLevel, NewStoredEvent, TaskEvent } from '../domain.js'
import { probes } from '../probes.js'

/** One log line of a task, as both the store's buffered `log` and a transaction's `emit.log` take it. */
export interface LogLine {
  taskId: number
  /** The attempt it belongs to; absent (or null) for a line about the task as a whole. */
  executionId?: number | null
  level: LogLevel
  message: string
  /** What wrote it: stdout, stderr, engine, resume… */
  source?: string | null
}

export interface Emitter {
  /** Numbers the event, writes it in the current transaction; it is published once the transaction commits. */
  event(taskId: number, event: NewStoredEvent): Promise<TaskEvent>
  /** A log line written in the current transaction (not batched), published after commit. */
  log(line: LogLine): Promise<void>
  /** Runs once the transaction committed and its events are published (never when it rolled back). */
  afterCommit(fn: () => void): void
}

/** A write that belongs with one buffered log line: it runs in the transaction that writes the line. */
export type LineWrite = (trx: Db, emit: Emitter) => Promise<void>

interface BufferedLine {
  taskId: number; executionId: number | null; level: LogLevel; message: string; source: string | null; at: string
  write?: LineWrite
}

const buffered = (line: LogLine, write?: LineWrite): BufferedLine => ({
  taskId: line.taskId, executionId: line.executionId ?? null, level: line.level, message: line.message,
  source: line.source ?? null, at: new Date().toISOString(), ...(write ? { write } : {}),
})
/** Lines to write, and the progress of executions taken at the same moment (by execution id). */
interface Batch { lines: BufferedLine[]; progress: Map<number, unknown> }

export const LOG_FLUSH_MS = 50
/** The wait instead for a task someone follows live: what they see is at most this much behind. */
export const LOG_FLUSH_FOLLOWED_MS = 10
export const LOG_FLUSH_LINES = 1000
/** Lines kept while the storage refuses writes (disk full…); beyond them the oldest are dropped. */
export const LOG_HELD_LINES = 20 * LOG_FLUSH_LINES

/**
 * Writes task events and log lines, numbering them from tasks.last_seq in the same transaction as the rows,
 * and publishes them on the bus only after the commit. Log lines are buffered and written in batches (one
 * transaction per ≤ 50 ms or ≤ 1000 lines); any other write first drains the buffer into its own transaction,
 * so a line logged before an event always gets the smaller seq. An execution's tracked progress (trackProgress)
 * is snapshotted when the buffer is taken and written in the same transaction as those lines. A line of a task
 * someone follows (follow) waits at most LOG_FLUSH_FOLLOWED_MS: the live log's delay is mostly this wait.
 */
export class EventStore {
  #buffer: BufferedLine[] = []
  readonly #progress = new Map<number, () => unknown>()
  #timer: NodeJS.Timeout | null = null
  /** When the timer fires (performance.now()). */
  #timerDue = 0
  /** Tasks followed live, with how many follow each. */
  readonly #followed = new Map<number, number>()
  #flushing: Promise<void> | null = null
  /** Flushes in a row that the storage refused: the delay before the next one doubles with them. */
  #refused = 0

  constructor(
    readonly db: Db, readonly bus: EventBus, private readonly onError: (error: unknown) => void = () => {},
    /** The delays between flushes that the storage refused (the engine's: from STORAGE_RETRY_MAX_SECONDS). */
    private readonly storageRetry: RetryPolicy = { maxRetries: Infinity, baseDelaySeconds: LOG_FLUSH_MS / 1000, maxDelaySeconds: 5 },
  ) {}

  async commit<T>(work: (trx: Db, emit: Emitter) => Promise<T>): Promise<T> {
    const batch = this.#takeBuffer(Infinity)
    try {
      return await this.#write(batch, work)
    } catch (error) {
      // The buffered lines rolled back with the failed work; they still belong to the log.
      this.#putBack(batch)
      this.#schedule()
      throw error
    }
  }

  #putBack(batch: Batch): void {
    this.#buffer = [...batch.lines, ...this.#buffer]
    for (const [executionId, state] of batch.progress) {
      if (!this.#progress.has(executionId)) this.#progress.set(executionId, () => state)
    }
    const over = this.#buffer.length - LOG_HELD_LINES
    if (over > 0) {
      this.#buffer = this.#buffer.slice(over)
      this.onError(new Error(`${over} task log line(s) dropped: the database has refused writes for too long`))
    }
  }

  async #write<T>(batch: Batch, work: (trx: Db, emit: Emitter) => Promise<T>): Promise<T> {
    const published: TaskEvent[] = []
    const after: Array<() => void> = []
    const started = performance.now()
    const result = await this.db.transaction().execute(async (trx) => {
        published.length = 0
        after.length = 0
        const emit: Emitter = {
          event: async (taskId, event) => {
            const full = await appendEvent(trx, taskId, event)
            published.push(full)
            return full
          },
          log: async (line) => { published.push(...await writeLines(trx, [buffered(line)])) },
          afterCommit: (fn) => { after.push(fn) },
        }
        // Lines in order; a line's own write follows it at once, so what it records comes right after it.
        let from = 0
        for (const [i, line] of batch.lines.entries()) {
          if (!line.write) continue
          published.push(...await writeLines(trx, batch.lines.slice(from, i + 1)))
          from = i + 1
          await line.write(trx, emit)
        }
        published.push(...await writeLines(trx, batch.lines.slice(from)))
        for (const [executionId, state] of batch.progress) await saveProgressState(trx, executionId, state)
        return work(trx, emit)
      })
    this.#refused = 0
    // buffered lines reach the database here, whether a timer's flush or another write took them along
    if (batch.lines.length > 0) probes.logFlush.publish({ seconds: (performance.now() - started) / 1000, lines: batch.lines.length })
    for (const event of published) this.bus.publish(event)
    for (const fn of after) {
      try { fn() } catch (error) { this.onError(error) }
    }
    return result
  }

  /** Buffers a line; `write`, when given, runs in the transaction that writes it (e.g. the job ids it revealed). */
  log(line: LogLine, write?: LineWrite): void {
    this.#buffer.push(buffered(line, write))
    // while the storage refuses writes, the held lines wait for the next try instead of one try per line
    if (this.#buffer.length >= LOG_FLUSH_LINES && this.#refused === 0) void this.flush()
    else this.#schedule(this.#followed.has(line.taskId) ? LOG_FLUSH_FOLLOWED_MS : LOG_FLUSH_MS)
  }

  /** Someone follows the task live until the returned function is called (each call counts once). */
  follow(taskId: number): () => void {
    this.#followed.set(taskId, (this.#followed.get(taskId) ?? 0) + 1)
    let followed = true
    return () => {
      if (!followed) return
      followed = false
      const left = this.#followed.get(taskId)! - 1
      if (left === 0) this.#followed.delete(taskId)
      else this.#followed.set(taskId, left)
    }
  }

  /**
   * Keeps `snapshot` as the durable progress of an execution: it is called when the lines logged so far are
   * taken for writing, and its value is written in their transaction. Replaces an earlier snapshot.
   */
  trackProgress(executionId: number, snapshot: () => unknown): void {
    this.#progress.set(executionId, snapshot)
    this.#schedule()
  }

  /** Writes every buffered line now; resolves when they are committed and published. */
  async flush(): Promise<void> {
    while (this.#flushing) await this.#flushing
    if (this.#empty) return
    this.#flushing = this.#drain().finally(() => { this.#flushing = null })
    await this.#flushing
  }

  /**
   * A batch that cannot be written is reported and dropped, not retried forever — unless the storage refused it
   * (disk full…): then its lines are kept for the next try, made later and later while the refusals go on, and
   * reported once, when the first one comes.
   */
  async #drain(): Promise<void> {
    while (!this.#empty) {
      const batch = this.#takeBuffer(LOG_FLUSH_LINES)
      try {
        await this.#write(batch, async () => undefined)
      } catch (error) {
        if (!storageFault(error)) {
          this.onError(error)
          continue
        }
        this.#putBack(batch)
        if (this.#refused++ === 0) this.onError(error)
        this.#schedule(retryDelaySeconds(this.storageRetry, this.#refused) * 1000)
        return
      }
    }
  }

  get pendingLines(): number {
    return this.#buffer.length
  }

  get #empty(): boolean {
    return this.#buffer.length === 0 && this.#progress.size === 0
  }

  /** Takes up to `max` lines; with the last of them, the progress snapshots (which describe every line logged). */
  #takeBuffer(max: number): Batch {
    const lines = this.#buffer.length <= max ? this.#buffer : this.#buffer.slice(0, max)
    this.#buffer = this.#buffer.length <= max ? [] : this.#buffer.slice(max)
    const progress = new Map<number, unknown>()
    if (this.#buffer.length === 0) {
      for (const [executionId, snapshot] of this.#progress) progress.set(executionId, snapshot())
      this.#progress.clear()
    }
    if (this.#timer && this.#empty) { clearTimeout(this.#timer); this.#timer = null }
    return { lines, progress }
  }

  /** Flushes after `delayMs`, unless one is due sooner (or the storage refuses writes: its retry delay stands). */
  #schedule(delayMs = LOG_FLUSH_MS): void {
    if (this.#empty) return
    const due = performance.now() + delayMs
    if (this.#timer) {
      if (this.#timerDue <= due || this.#refused > 0) return
      clearTimeout(this.#timer)
    }
    this.#timerDue = due
    this.#timer = setTimeout(() => { this.#timer = null; void this.flush() }, delayMs)
  }
}

async function writeLines(trx: Db, lines: BufferedLine[]): Promise<TaskEvent[]> {
  if (lines.length === 0) return []
  const byTask = new Map<number, BufferedLine[]>()
  for (const line of lines) {
    const list = byTask.get(line.taskId)
    if (list) list.push(line)
    else byTask.set(line.taskId, [line])
  }
  const events: TaskEvent[] = []
  for (const [taskId, list] of byTask) {
    const first = await allocateSeq(trx, taskId, list.length).catch(() => null)
    if (first === null) continue // the task was deleted meanwhile: its lines have nowhere to go
    const rows: LogInsert[] = list.map((line, i) => ({
      task_id: taskId, execution_id: line.executionId, seq: first + i, level: line.level,
      message: line.message, source: line.source, timestamp: line.at,
    }))
    await insertLogs(trx, rows)
    for (const row of rows) {
      events.push({
        task_id: taskId, seq: row.seq, type: 'log', at: row.timestamp,
        data: { execution_id: row.execution_id, level: row.level, message: row.message, source: row.source },
      })
    }
  }
  return events
}
