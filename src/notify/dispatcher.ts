import type { Logger } from 'pino'
import type { Db } from '../db/connect.js'
import { dueDeliveries, markAttemptFailed, markSent, nextDueAt, sentTimes } from '../db/notify-repository.js'
import type { OutboxRow } from '../db/tables.js'
import { messageOf } from '../errors.js'
import type { Clock } from '../schedules/clock.js'
import type { Channel, WebhookChannel, WecomChannel } from './channel-file.js'
import { RateWindow } from './rate-window.js'
import { sendWebhook } from './webhook.js'
import { joinBodies, packBodies, sendWecom } from './wecom.js'

const BATCH = 200
const REQUEST_TIMEOUT_MS = 10_000

export interface DispatcherOptions {
  db: Db
  channels: readonly Channel[]
  clock: Clock
  logger: Pick<Logger, 'info' | 'warn'>
  retrySeconds: number
  retryMaxSeconds: number
  maxAttempts: number
}

/**
 * Sends what the outbox holds, one pass at a time: every due message, webhooks one by one, each robot within its
 * rate (what does not fit waits and is packed with what comes after it). A failure is tried again later, the
 * delay doubling, until maxAttempts; a message is marked sent only after its channel took it, so a crash in
 * between sends it again (at least once; webhook-id lets a receiver drop the repeat).
 */
export class Dispatcher {
  readonly #o: DispatcherOptions
  readonly #channels: Map<string, Channel>
  readonly #windows = new Map<string, RateWindow>()
  readonly #abort = new AbortController()
  #timer: (() => void) | null = null
  #running: Promise<void> | null = null
  #again = false
  #stopped = false

  constructor(options: DispatcherOptions) {
    this.#o = options
    this.#channels = new Map(options.channels.map((c) => [c.name, c]))
  }

  async start(): Promise<void> {
    const now = this.#o.clock.now().getTime()
    for (const channel of this.#channels.values()) {
      if (channel.type !== 'wecom') continue
      const since = new Date(now - 60_000).toISOString()
      const seeded = (await sentTimes(this.#o.db, channel.name, since)).map((at) => Date.parse(at))
      this.#windows.set(channel.name, new RateWindow(channel.max_per_minute, seeded))
    }
    this.wake()
  }

  /** Runs a pass soon (one more after the current one, if it is running). */
  wake(): void {
    if (this.#stopped) return
    if (this.#running) {
      this.#again = true
      return
    }
    this.#running = this.#loop().finally(() => { this.#running = null })
  }

  /** Resolves once no pass runs (tests move their clock after it). */
  async settled(): Promise<void> {
    while (this.#running) await this.#running
  }

  async stop(): Promise<void> {
    this.#stopped = true
    this.#timer?.()
    this.#abort.abort()
    await this.#running
  }

  async #loop(): Promise<void> {
    do {
      this.#again = false
      try {
        await this.#pass()
      } catch (error) {
        if (!this.#stopped) this.#o.logger.warn({ err: error }, 'notification delivery pass failed')
      }
    } while (this.#again && !this.#stopped)
  }

  async #pass(): Promise<void> {
    const now = this.#o.clock.now()
    // a robot whose minute is full is left out, so what waits for it neither blocks the others nor spins the loop
    const full = [...this.#windows].filter(([, window]) => window.room(now.getTime()) === 0)
    const waitUntil = full.map(([, window]) => window.reopensAt())
    const due = await dueDeliveries(this.#o.db, now.toISOString(), BATCH, full.map(([name]) => name))
    const byChannel = new Map<string, OutboxRow[]>()
    for (const row of due) byChannel.set(row.channel, [...byChannel.get(row.channel) ?? [], row])
    for (const [name, rows] of byChannel) {
      if (this.#stopped) return
      const channel = this.#channels.get(name)
      if (!channel) {
        await markAttemptFailed(this.#o.db, rows.map((r) => r.id), `channel "${name}" is no longer in NOTIFY_FILE`, null)
        continue
      }
      const reopen = channel.type === 'wecom' ? await this.#sendWecom(channel, rows) : await this.#sendWebhooks(channel, rows)
      if (reopen) waitUntil.push(reopen)
    }
    if (due.length === BATCH) this.#again = true
    // what is due now was tried, or waits for its robot's window (waitUntil), or came meanwhile (wake runs again)
    const next = await nextDueAt(this.#o.db, now.toISOString())
    this.#arm(Math.min(next ? Date.parse(next) : Infinity, ...waitUntil))
  }

  #arm(at: number): void {
    this.#timer?.()
    this.#timer = null
    if (at === Infinity || this.#stopped) return
    this.#timer = this.#o.clock.at(new Date(at), () => { this.#timer = null; this.wake() })
  }

  /** Returns when the robot's window opens again, if some messages had to wait for it. */
  async #sendWecom(channel: WecomChannel, rows: OutboxRow[]): Promise<number | undefined> {
    const window = this.#windows.get(channel.name) ?? new RateWindow(channel.max_per_minute)
    this.#windows.set(channel.name, window)
    const groups = packBodies(rows.map((row) => ({ row, body: (JSON.parse(row.payload) as { markdown: string }).markdown })))
    for (const group of groups) {
      const now = this.#o.clock.now().getTime()
      if (window.room(now) === 0) return window.reopensAt()
      window.record(now)
      await this.#attempt(group.map((g) => g.row), channel.secret, (signal) => sendWecom(channel, joinBodies(group), signal))
    }
    return undefined
  }

  async #sendWebhooks(channel: WebhookChannel, rows: OutboxRow[]): Promise<undefined> {
    for (const row of rows) {
      if (this.#stopped) break
      await this.#attempt([row], channel.secret,
        (signal) => sendWebhook(channel, row.idempotency_key, row.payload, this.#o.clock.now(), signal))
    }
    return undefined
  }

  async #attempt(rows: OutboxRow[], secret: string, send: (signal: AbortSignal) => Promise<void>): Promise<void> {
    const ids = rows.map((r) => r.id)
    try {
      await send(AbortSignal.any([this.#abort.signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]))
      await markSent(this.#o.db, ids, this.#o.clock.now().toISOString())
    } catch (error) {
      if (this.#stopped) return // cut off by the shutdown: still pending, sent after the restart
      // the key or secret could only appear through an address in a network error; never keep or log it
      const reason = messageOf((error as { cause?: unknown }).cause ?? error).replaceAll(secret, '***').slice(0, 500)
      const attempts = Math.max(...rows.map((r) => r.attempts)) + 1
      const delay = Math.min(this.#o.retrySeconds * 2 ** (attempts - 1), this.#o.retryMaxSeconds) * 1000
      const retryAt = attempts >= this.#o.maxAttempts ? null : new Date(this.#o.clock.now().getTime() + delay).toISOString()
      await markAttemptFailed(this.#o.db, ids, reason, retryAt)
      this.#o.logger.warn({ channel: rows[0]!.channel, deliveries: ids, attempts, error: reason, retry_at: retryAt },
        retryAt ? 'notification not delivered; will retry' : 'notification not delivered; given up')
    }
  }
}
