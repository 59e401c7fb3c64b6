import type { Logger } from 'pino'
import type { Config } from '../config.js'
import type { Db } from '../db/connect.js'
import { allPreferences, enqueueDelivery, eventsSince, readCursor, writeCursor } from '../db/notify-repository.js'
import type { TaskEventSource } from '../engine/interfaces.js'
import type { Clock } from '../schedules/clock.js'
import type { Channel } from './channel-file.js'
import { Dispatcher } from './dispatcher.js'
import { parsePreferences } from './preferences.js'
import { audiences } from './recipients.js'
import { renderPayload } from './render.js'
import { factOf, type EventRow, type FactContext } from './triggers.js'

const PAGE = 500
/**
 * Events are read again from a little before the cursor: an event's time is taken before its transaction
 * commits, so one may become visible after a later-stamped one was read. Reading one twice adds nothing (the
 * idempotency key), missing one would lose its message.
 */
const OVERLAP_MS = 5_000

export interface NotifierOptions {
  db: Db
  events: TaskEventSource
  channels: readonly Channel[]
  config: Pick<Config, 'NOTIFY_BASE_URL' | 'NOTIFY_RETRY_SECONDS' | 'NOTIFY_RETRY_MAX_SECONDS' | 'NOTIFY_MAX_ATTEMPTS' | 'NOTIFY_PDF_LINK_HOURS'>
  secretKey: string
  clock: Clock
  logger: Pick<Logger, 'info' | 'warn'>
}

export interface Notifier {
  start(): Promise<void>
  stop(): Promise<void>
  /** Resolves once the events seen so far are in the outbox and no delivery pass runs. */
  settled(): Promise<void>
}

/**
 * Turns task events into outbox messages and has them delivered. It reads the stored events after its cursor
 * (kept in the database), so the events of a crash or a shutdown are still seen at the next start; a live event
 * is only the hint to read now. With no channel configured it does nothing.
 */
export function createNotifier(o: NotifierOptions): Notifier {
  const dispatcher = new Dispatcher({
    db: o.db, channels: o.channels, clock: o.clock, logger: o.logger, retrySeconds: o.config.NOTIFY_RETRY_SECONDS,
    retryMaxSeconds: o.config.NOTIFY_RETRY_MAX_SECONDS, maxAttempts: o.config.NOTIFY_MAX_ATTEMPTS,
  })
  const ctx: FactContext = {
    db: o.db, baseUrl: (o.config.NOTIFY_BASE_URL ?? '').replace(/\/+$/, ''), secretKey: o.secretKey,
    pdfLinkSeconds: Math.round(o.config.NOTIFY_PDF_LINK_HOURS * 3600),
  }
  let unsubscribe = () => {}
  let scanning: Promise<void> | null = null
  let again = false
  let stopped = false

  async function handle(row: EventRow, preferences: Parameters<typeof audiences>[2]): Promise<void> {
    const fact = await factOf(ctx, row)
    if (!fact) return
    for (const audience of audiences(fact, o.channels, preferences)) {
      await enqueueDelivery(o.db, {
        idempotency_key: `task:${row.task_id}:${row.seq}:${audience.channel.name}`, channel: audience.channel.name,
        trigger: fact.trigger, task_id: fact.task.id, user_id: fact.task.user_id, recipients: audience.users,
        payload: renderPayload(fact, audience), next_attempt_at: row.created_at,
      })
    }
  }

  async function scanOnce(): Promise<void> {
    const cursor = await readCursor(o.db) ?? o.clock.now().toISOString()
    let from = new Date(Date.parse(cursor) - OVERLAP_MS).toISOString()
    let newest = cursor
    const preferences = (await allPreferences(o.db)).map((p) => ({ user_id: p.user_id, preferences: parsePreferences(p.notification_preferences) }))
    for (;;) {
      const rows = await eventsSince(o.db, from, PAGE)
      for (const row of rows) await handle(row, preferences)
      const last = rows.at(-1)?.created_at
      if (last !== undefined && last > newest) newest = last
      if (rows.length < PAGE || last === undefined || last === from) break
      from = last
    }
    await writeCursor(o.db, newest)
    dispatcher.wake()
  }

  const scan = () => {
    if (stopped) return
    if (scanning) {
      again = true
      return
    }
    scanning = (async () => {
      do {
        again = false
        try {
          await scanOnce()
        } catch (error) {
          if (!stopped) o.logger.warn({ err: error }, 'reading task events for notifications failed')
        }
      } while (again && !stopped)
    })().finally(() => { scanning = null })
  }

  return {
    async start() {
      if (o.channels.length === 0) return
      unsubscribe = o.events.subscribe((event) => {
        if (event.type === 'task.status' || event.type === 'job.state') scan()
      })
      await dispatcher.start()
      scan()
      await scanning
      o.logger.info({ channels: o.channels.map((c) => c.name) }, 'notifications on')
    },
    async settled() {
      while (scanning) await scanning
      await dispatcher.settled()
    },
    async stop() {
      stopped = true
      unsubscribe()
      await scanning
      await dispatcher.stop()
    },
  }
}
