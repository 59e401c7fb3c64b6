import type { AddressInfo } from 'node:net'
import type { FastifyBaseLogger } from 'fastify'
import { WebSocket } from 'ws'
import type { Api } from '../../src/api/route-module.js'
import type { Role } from '../../src/auth/token.js'
import { EventBus } from '../../src/engine/bus.js'
import { EventStore } from '../../src/engine/event-store.js'
import { buildTestApp } from '../helpers/app.js'
import type { Db } from '../../src/db/connect.js'
import { readEvents } from '../../src/db/event-repository.js'
import { insertTask } from '../../src/db/task-repository.js'
import { insertWorkflowVersion } from '../../src/db/workflow-repository.js'
import type { TaskEvent } from '../../src/domain.js'
import type { TaskEventSource } from '../../src/engine/interfaces.js'

/** What the server sends (src/api/live/protocol.ts), loosely typed for assertions. */
export interface Msg {
  type: string
  event?: TaskEvent
  task_id?: number
  after_seq?: number
  code?: string
  message?: string
  scope?: string
  events?: TaskEvent[]
}

/**
 * A real `ws` client that records every message and lets a test await the one it expects. Every wait is
 * bounded: a missing message fails the test with what did arrive. A topup.v2 batch is recorded as it came in
 * `frames`, and as one `event` message per event in `messages`, so that a test reads both protocols alike.
 */
export class LiveClient {
  readonly messages: Msg[] = []
  /** Every text frame as it came. */
  readonly frames: string[] = []
  private waiters: Array<() => void> = []
  readonly closed: Promise<{ code: number; reason: string }>

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const text = data.toString()
      this.frames.push(text)
      const message = JSON.parse(text) as Msg
      if (message.type === 'events') for (const event of message.events!) this.messages.push({ type: 'event', event })
      else this.messages.push(message)
      for (const wake of this.waiters.splice(0)) wake()
    })
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => {
      resolve({ code, reason: reason.toString() })
      for (const wake of this.waiters.splice(0)) wake()
    }))
  }

  static open(url: string, protocols?: string[], options: ConstructorParameters<typeof WebSocket>[2] = {}): Promise<LiveClient> {
    const ws = new WebSocket(url, protocols, options)
    const client = new LiveClient(ws)
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(client))
      ws.once('error', reject)
      ws.once('unexpected-response', (_req, res) => {
        let body = ''
        res.on('data', (chunk: Buffer) => { body += chunk.toString() })
        res.on('end', () => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), {
          statusCode: res.statusCode, contentType: res.headers['content-type'], body,
        })))
      })
    })
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message))
  }

  /** Resolves with the first message from index `from` on that matches. */
  async next(match: (m: Msg) => boolean, timeoutMs = 10_000, from = 0): Promise<Msg> {
    const deadline = Date.now() + timeoutMs
    for (let i = from; ;) {
      for (; i < this.messages.length; i++) if (match(this.messages[i]!)) return this.messages[i]!
      if (this.ws.readyState === WebSocket.CLOSED) throw new Error(`closed before the expected message; got ${this.summary()}`)
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`timed out waiting for a message; got ${this.summary()}`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.waiters.push(() => { clearTimeout(timer); resolve() })
      })
    }
  }

  events(taskId?: number): TaskEvent[] {
    return this.messages.filter((m) => m.type === 'event' && (taskId === undefined || m.event!.task_id === taskId))
      .map((m) => m.event!)
  }

  async close(): Promise<void> {
    if (this.ws.readyState !== WebSocket.CLOSED) this.ws.close()
    await this.closed
  }

  private summary(): string {
    return JSON.stringify(this.messages.slice(-5)).slice(0, 500) + ` (${this.messages.length} messages)`
  }
}

interface Teardown { teardown(fn: () => unknown): void }

/** A task row owned by `userId` (no steps run: tests drive its events through the event store). */
export async function seedTask(db: Db, userId: string): Promise<number> {
  const existing = await db.selectFrom('workflows').select('id').where('name', '=', 'ws_test').executeTakeFirst()
  const workflowId = existing?.id ?? (await insertWorkflowVersion(db, {
    name: 'ws_test', display_name: 'WS test', description: null, version: '1', definition: '{}',
    definition_hash: 'ws-test', source_file: null, steps: [],
  })).id
  const task = await insertTask(db, {
    user_id: userId, workflow_id: workflowId, workflow_name: 'ws_test', workflow_snapshot: '{}', task_name: `task of ${userId}`,
  }, [])
  return task.id
}

/** A progress event written and published through the real event store. */
export function emitProgress(store: EventStore, taskId: number, userId: string, percent: number): Promise<TaskEvent> {
  return store.commit((_trx, emit) => emit.event(taskId, {
    type: 'task.progress', data: { progress_percentage: percent, current_step: 'step', user_id: userId },
  }))
}

/** Asserts seqs are exactly 1..n: no gap, no duplicate, in order. */
export function gaps(seqs: number[], n: number): string | null {
  if (seqs.length !== n) return `expected ${n} events, got ${seqs.length}`
  for (let i = 0; i < n; i++) if (seqs[i] !== i + 1) return `position ${i}: seq ${seqs[i]}, expected ${i + 1}`
  return null
}

export interface LiveServer {
  app: Api
  db: Db
  /** The engine's event store: every event a test makes is written, then published, by it. */
  store: EventStore
  /** ws://127.0.0.1:<port>/api/ws */
  wsUrl: string
  baseUrl: string
  token(user: string, role?: Role): string
}

/**
 * The real app on a free loopback port, its event bus fed by a real EventStore on the app's database; closed
 * at teardown. With `logger`, the app logs there (buildTestApp's app does not log); with `wrapRead`, every
 * history read of the event source (replays, GET events) goes through it.
 */
export async function startLiveServer(t: Teardown, env: Record<string, string> = {}, logger?: FastifyBaseLogger,
  wrapRead: (read: TaskEventSource['read']) => TaskEventSource['read'] = (read) => read): Promise<LiveServer> {
  const bus = new EventBus()
  let db!: Db
  const events: TaskEventSource = {
    subscribe: bus.subscribe.bind(bus), read: wrapRead((taskId, afterSeq, limit) => readEvents(db, taskId, afterSeq, limit)),
  }
  const test = await buildTestApp(t, { env, events, ...(logger ? { logger } : {}) })
  db = test.db
  const app = test.app
  const store = new EventStore(test.db, bus)
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as AddressInfo
  return {
    app, db: test.db, store,
    wsUrl: `ws://127.0.0.1:${port}/api/ws`,
    baseUrl: `http://127.0.0.1:${port}`,
    token: (user, role = 'user') => test.tokenFor(user, role),
  }
}

/**
 * Logs lines of `lineBytes` to the task until the server closes `serverSide` (or `maxLines`, which bounds it);
 * returns how many it wrote. Clients and server share the test's process: the event loop turns every 16 lines so
 * that the healthy clients read, as they would on their own machines.
 */
export async function logUntilClosed(store: EventStore, taskId: number, serverSide: WebSocket,
  { lineBytes, maxLines }: { lineBytes: number; maxLines: number }): Promise<number> {
  const line = 'x'.repeat(lineBytes)
  let written = 0
  for (let i = 0; i < maxLines && serverSide.readyState === WebSocket.OPEN; i++) {
    store.log({ taskId, level: 'info', message: `${i} ${line}` })
    written++
    if (i % 16 === 0) {
      await store.flush()
      await new Promise((resolve) => setImmediate(resolve))
    }
  }
  await store.flush()
  return written
}
