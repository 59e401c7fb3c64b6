import { sql } from 'kysely'
import type { NotifyTrigger } from '../domain.js'
import type { Db } from './connect.js'
import type { OutboxRow } from './tables.js'

const CURSOR_KEY = 'notify_events_after'

export async function readPreferences(db: Db, userId: string): Promise<string | undefined> {
  const row = await db.selectFrom('user_preferences').select('notification_preferences').where('user_id', '=', userId).executeTakeFirst()
  return row?.notification_preferences
}

export async function writePreferences(db: Db, userId: string, json: string): Promise<void> {
  const now = new Date().toISOString()
  await db.insertInto('user_preferences').values({ user_id: userId, notification_preferences: json, updated_at: now })
    .onConflict((oc) => oc.column('user_id').doUpdateSet({ notification_preferences: json, updated_at: now })).execute()
}

export function allPreferences(db: Db): Promise<{ user_id: string; notification_preferences: string }[]> {
  return db.selectFrom('user_preferences').select(['user_id', 'notification_preferences']).execute()
}

/** Where the notifier's reading of task events stands: it has looked at every event created before this time. */
export async function readCursor(db: Db): Promise<string | undefined> {
  return (await db.selectFrom('schema_meta').select('value').where('key', '=', CURSOR_KEY).executeTakeFirst())?.value
}

export async function writeCursor(db: Db, at: string): Promise<void> {
  await db.insertInto('schema_meta').values({ key: CURSOR_KEY, value: at })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value: at })).execute()
}

/** Status and job events created at or after `from`, oldest first (the notifier's input). */
export function eventsSince(db: Db, from: string, limit: number) {
  return selectEventsSince(db, from, limit).execute()
}

/** The query of eventsSince, unexecuted (its plan is tested). */
export function selectEventsSince(db: Db, from: string, limit: number) {
  return db.selectFrom('task_events').select(['task_id', 'seq', 'type', 'payload', 'created_at'])
    // the literal WHERE of idx_events_notified, so that SQLite uses it (a bound list would not match it)
    .where(sql<boolean>`type IN ('task.status', 'job.state')`).where('created_at', '>=', from)
    .orderBy('created_at').orderBy('task_id').orderBy('seq').limit(limit)
}

export interface NewDelivery {
  idempotency_key: string
  channel: string
  trigger: NotifyTrigger
  task_id: number | null
  user_id: string | null
  recipients: string[]
  payload: string
  next_attempt_at: string
}

/** Adds a message to the outbox unless one with its key is there already (the same event seen twice). */
export async function enqueueDelivery(db: Db, d: NewDelivery): Promise<void> {
  await db.insertInto('notification_outbox').values({ ...d, recipients: JSON.stringify(d.recipients) })
    .onConflict((oc) => oc.column('idempotency_key').doNothing()).execute()
}

/** Pending messages due at `now`, oldest first, leaving out the channels in `skip` (a robot whose minute is full). */
export function dueDeliveries(db: Db, now: string, limit: number, skip: readonly string[] = []): Promise<OutboxRow[]> {
  let query = db.selectFrom('notification_outbox').selectAll().where('status', '=', 'pending').where('next_attempt_at', '<=', now)
  if (skip.length > 0) query = query.where('channel', 'not in', skip)
  return query.orderBy('id').limit(limit).execute()
}

/** The earliest time after `after` that a pending message is due (undefined: none). */
export async function nextDueAt(db: Db, after: string): Promise<string | undefined> {
  const row = await db.selectFrom('notification_outbox').select((eb) => eb.fn.min('next_attempt_at').as('at'))
    .where('status', '=', 'pending').where('next_attempt_at', '>', after).executeTakeFirst()
  return row?.at ?? undefined
}

export async function markSent(db: Db, ids: readonly number[], at: string): Promise<void> {
  if (ids.length === 0) return
  await db.updateTable('notification_outbox').set((eb) => ({ status: 'sent', sent_at: at, attempts: eb('attempts', '+', 1), last_error: null }))
    .where('id', 'in', ids).execute()
}

/** One failed attempt: tried again at `retryAt`, or given up (`failed`) when that is null. */
export async function markAttemptFailed(db: Db, ids: readonly number[], error: string, retryAt: string | null): Promise<void> {
  if (ids.length === 0) return
  await db.updateTable('notification_outbox').set((eb) => ({
    attempts: eb('attempts', '+', 1), last_error: error,
    ...(retryAt === null ? { status: 'failed' as const } : { next_attempt_at: retryAt }),
  })).where('id', 'in', ids).execute()
}

/**
 * When a channel's messages went out since `since` (one entry per row: a message that carried several counts
 * several, erring towards waiting): its robot's rate window, seeded from here after a restart.
 */
export async function sentTimes(db: Db, channel: string, since: string): Promise<string[]> {
  const rows = await db.selectFrom('notification_outbox').select('sent_at')
    .where('channel', '=', channel).where('sent_at', '>=', since).orderBy('sent_at').execute()
  return rows.flatMap((r) => r.sent_at === null ? [] : [r.sent_at])
}

/** The newest PDF a task's steps downloaded: what a review looks at. */
export async function latestPdf(db: Db, taskId: number): Promise<{ id: number; output_name: string } | undefined> {
  return db.selectFrom('step_outputs').select(['id', 'output_name']).where('task_id', '=', taskId).where('output_type', '=', 'artifact')
    .where((eb) => eb.or([eb('content_type', '=', 'application/pdf'), eb('output_name', 'like', '%.pdf')]))
    .orderBy('id', 'desc').limit(1).executeTakeFirst()
}

export async function listDeliveries(db: Db, filter: { userId?: string | undefined; status?: string | undefined },
  page: { limit: number; offset: number }): Promise<{ rows: OutboxRow[]; total: number }> {
  let query = db.selectFrom('notification_outbox')
  if (filter.userId !== undefined) query = query.where('user_id', '=', filter.userId)
  if (filter.status !== undefined) query = query.where('status', '=', filter.status as OutboxRow['status'])
  const rows = await query.selectAll().orderBy('id', 'desc').limit(page.limit).offset(page.offset).execute()
  const count = await query.select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow()
  return { rows, total: Number(count.n) }
}
