import { setTimeout as delay } from 'node:timers/promises'
import type { TaskEvent, TaskStatus } from '../domain.js'
import { REVIEW_REASON } from '../engine/step-decision.js'
import { ApiError, problemOf, type ApiClient } from './api-client.js'
import type { TaskDetail } from './api-types.js'
import { ExitCode } from './exit-codes.js'

/**
 * The server's WebSocket sub-protocols (src/api/live/protocol.ts, not imported: it loads the schema checker): the
 * batched one first, the server picks it; v1 for a server without it.
 */
const PROTOCOLS = ['topup.v2', 'topup.v1']

/** Statuses that end following: the task is finished or waits for a person. */
const STOPPING: ReadonlySet<string> = new Set<TaskStatus>(['success', 'failed', 'cancelled', 'paused'])

export interface FollowEnd {
  status: TaskStatus
  reason: string | null
}

export interface FollowHooks {
  event(event: TaskEvent): void
  reconnecting(reason: string): void
}

type Outcome = { end: FollowEnd } | { retry: string }

/**
 * Follows a task over /api/ws from `after` (0: its whole history) until it stops (FollowEnd), each event given to
 * `hooks.event` once, in seq order. A dropped connection or a `resync` subscribes again from the last seq handed
 * over, so nothing is skipped or repeated. `task` is the task as read before: a status event of its history does
 * not end following (the task went on since); if the task had stopped then, following ends once its history up
 * to that moment (`last_seq`) is through.
 */
export async function followTask(client: ApiClient, task: TaskDetail, hooks: FollowHooks,
  options: { after?: number; retryMs?: number } = {}): Promise<FollowEnd> {
  const { WebSocket } = await import('ws')
  let after = options.after ?? 0
  let failures = 0
  const stoppedBefore = STOPPING.has(task.status) ? { status: task.status, reason: task.status_reason } : null
  const historyDone = () => (stoppedBefore && after >= task.last_seq ? stoppedBefore : null)

  const connect = () => new Promise<Outcome>((resolve, reject) => {
    const ws = new WebSocket(client.wsUrl, [...PROTOCOLS, `bearer.${client.token}`])
    let settled = false
    const settle = (finish: () => void) => {
      if (settled) return
      settled = true
      ws.removeAllListeners()
      ws.on('error', () => {})
      ws.terminate()
      finish()
    }
    ws.on('open', () => ws.send(JSON.stringify({ type: 'subscribe', task_id: task.id, after_seq: after })))
    ws.on('unexpected-response', (_request, response) => {
      let body = ''
      response.on('data', (chunk: Buffer) => { body += chunk.toString() })
      response.on('end', () => {
        const status = response.statusCode ?? 500
        void problemOf({ status, statusText: response.statusMessage, text: async () => body }).then((error) =>
          settle(() => (status < 500 ? reject(error) : resolve({ retry: `HTTP ${status}` }))))
      })
    })
    /** One event, as it comes (v1) or in its batch (v2); true once following ends with it. */
    const take = (event: TaskEvent): boolean => {
      if (event.seq > after) {
        failures = 0
        hooks.event(event)
        after = event.seq
        if (event.type === 'task.status' && event.seq > task.last_seq && STOPPING.has(event.data.status)) {
          settle(() => resolve({ end: { status: event.data.status, reason: event.data.reason } }))
          return true
        }
      }
      const done = historyDone()
      if (done) settle(() => resolve({ end: done }))
      return done !== null
    }
    ws.on('message', (data) => {
      const message = JSON.parse(data.toString()) as { type: string; event?: TaskEvent; events?: TaskEvent[]; code?: string; message?: string }
      if (message.type === 'error') {
        settle(() => reject(new ApiError(0, '', message.message ?? '', message.code ?? '', message)))
        return
      }
      if (message.type === 'resync') {
        settle(() => resolve({ retry: 'resync' }))
        return
      }
      const events = message.type === 'events' ? message.events ?? [] : message.type === 'event' && message.event ? [message.event] : []
      if (events.length === 0) {
        const done = historyDone()
        if (done) settle(() => resolve({ end: done }))
      }
      for (const event of events) if (take(event)) return
    })
    ws.on('error', (error) => settle(() => resolve({ retry: error.message })))
    ws.on('close', (code) => settle(() => resolve({ retry: `connection closed (${code})` })))
  })

  const done = historyDone()
  if (done) return done
  for (;;) {
    const outcome = await connect()
    if ('end' in outcome) return outcome.end
    failures++
    hooks.reconnecting(outcome.retry)
    await delay(Math.min(10_000, (options.retryMs ?? 500) * 2 ** Math.min(failures, 5)))
  }
}

export const isReviewPause = (end: FollowEnd) => end.status === 'paused' && (end.reason ?? '').startsWith(REVIEW_REASON)

export function exitCodeOf(end: FollowEnd): number {
  if (end.status === 'success') return ExitCode.ok
  if (end.status === 'paused') return isReviewPause(end) ? ExitCode.review : ExitCode.paused
  return ExitCode.failed
}

/** What follows "waiting for review" in the reason (": look at the IST plot"), or ''. */
export const reviewNote = (end: FollowEnd) => (end.reason ?? '').slice(REVIEW_REASON.length)
