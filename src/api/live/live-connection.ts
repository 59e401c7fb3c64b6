import type { WebSocket } from 'ws'
import type { FastifyBaseLogger } from 'fastify'
import { maySee } from '../../auth/access.js'
import type { Principal } from '../../auth/token.js'
import type { TaskEvent } from '../../domain.js'
import type { EventFanout } from './event-fanout.js'
import { eventFrame, type BatchFrames } from './event-frames.js'
import { MessageBudget } from './message-budget.js'
import { CloseCode, parseClientMessage, PROTOCOL_V2, type ServerMessage } from './protocol.js'
import { frameOf, type Frame, type SendMemory } from './send-memory.js'
import { TaskStream } from './task-stream.js'

export interface LiveSettings {
  /** Above this many bytes waiting in a connection's send buffer, the client is told to resync and closed. */
  maxBufferedBytes: number
  /** How long a closing slow client gets before its socket is destroyed. */
  closeGraceMs: number
  maxSubscriptions: number
  /** Messages a client may send at once; then `messagesPerSecond`. Beyond: error `rate_limited`, close 1008. */
  messageBurst: number
  messagesPerSecond: number
}

export interface LiveConnectionDeps {
  fanout: EventFanout
  settings: LiveSettings
  log: FastifyBaseLogger
  /** One replay page; `signal` aborts when the subscription ends, dropping a read still waiting its turn. */
  readEvents(taskId: number, afterSeq: number, limit: number, signal: AbortSignal): Promise<TaskEvent[]>
  /** Whether the viewer may see the task (owner or admin); false for a task that does not exist. */
  canSee(viewer: Principal, taskId: number): Promise<boolean>
  /** Every client's send memory together (bounded by the hub). */
  memory: SendMemory
  /** The v2 frames of the current send round. */
  frames: BatchFrames
  /**
   * Called on every frame written (the hub then checks the send memory of all clients), and with the connection when
   * it queues the first event of a round: the hub then flushes it (one frame) once the current turn of the event loop
   * has published what it had.
   */
  touch(connection?: LiveConnection): void
  /** The number of the round that events queued now belong to. */
  collecting(): number
}

interface Subscription { stream: TaskStream; stop: () => void }

/**
 * The state of one WebSocket client: its subscriptions, its send buffer bound, its message budget and its
 * heartbeat flag. Its messages are handled one after another (a subscribe's visibility check is awaited before
 * the next message), so a second subscribe for a task always finds the first one; once the connection closes,
 * the messages still waiting are dropped.
 */
export class LiveConnection {
  alive = true
  private readonly subscriptions = new Map<number, Subscription>()
  private stopTaskChanges: (() => void) | null = null
  private closing = false
  private drainWaiters: Array<() => void> = []
  private readonly inbox: string[] = []
  private handling = false
  private readonly budget: MessageBudget
  /** topup.v2: events wait here for the round's flush, then go in one frame. */
  private readonly batched: boolean
  private outgoing: TaskEvent[] = []
  /** The round `outgoing` was queued for. */
  private outgoingRound = -1

  constructor(readonly socket: WebSocket, readonly viewer: Principal, private readonly deps: LiveConnectionDeps) {
    this.batched = socket.protocol === PROTOCOL_V2
    this.budget = new MessageBudget(deps.settings.messageBurst, deps.settings.messagesPerSecond)
    socket.on('pong', () => { this.alive = true })
    socket.on('message', (data, isBinary) => {
      // Frames already received when the connection started closing are not work anyone waits for.
      if (this.closing) return
      if (!this.budget.take()) return this.closeRateLimited()
      if (isBinary) return void this.send({ type: 'error', code: 'bad_message', message: 'binary frames are not accepted' })
      this.inbox.push(data.toString())
      if (!this.handling) void this.handleInbox()
    })
    socket.on('close', () => this.dispose())
  }

  private async handleInbox(): Promise<void> {
    this.handling = true
    try {
      for (let raw = this.inbox.shift(); raw !== undefined && !this.closing; raw = this.inbox.shift()) await this.handle(raw)
    } finally {
      this.handling = false
    }
  }

  /** Its task subscriptions, the task-list feed counting as one (read by /metrics). */
  get subscriptionCount(): number {
    return this.subscriptions.size + (this.stopTaskChanges ? 1 : 0)
  }

  private async handle(raw: string): Promise<void> {
    const parsed = parseClientMessage(raw)
    if (!parsed.ok) return void this.send({ type: 'error', code: parsed.code, message: parsed.message })
    const message = parsed.message
    try {
      switch (message.type) {
        case 'ping': this.send({ type: 'pong' }); break
        case 'subscribe': await this.subscribe(message.task_id, message.after_seq ?? 0); break
        case 'unsubscribe': this.unsubscribe(message.task_id); this.send({ type: 'unsubscribed', task_id: message.task_id }); break
        case 'subscribe_tasks': this.subscribeTaskChanges(); break
        case 'unsubscribe_tasks':
          this.stopTaskChanges?.()
          this.stopTaskChanges = null
          this.send({ type: 'unsubscribed', scope: 'tasks' })
          break
      }
    } catch (error) {
      this.deps.log.error({ err: error }, 'websocket message failed')
      this.send({ type: 'error', code: 'internal_error', message: 'the message could not be handled' })
    }
  }

  private async subscribe(taskId: number, afterSeq: number): Promise<void> {
    const current = this.subscriptions.get(taskId)
    if (current) {
      // Already followed on this connection: the stream goes on, no second replay. The answer says where it is:
      // the next event of this task the client gets follows `after_seq`. (Unsubscribe first to replay again.)
      return void this.send({ type: 'subscribed', task_id: taskId, after_seq: current.stream.lastSent })
    }
    if (this.subscriptions.size >= this.deps.settings.maxSubscriptions) {
      return void this.send({ type: 'error', code: 'too_many_subscriptions', task_id: taskId,
        message: `at most ${this.deps.settings.maxSubscriptions} task subscriptions per connection` })
    }
    if (!(await this.deps.canSee(this.viewer, taskId))) {
      return void this.send({ type: 'error', code: 'not_found', task_id: taskId, message: `task ${taskId} not found` })
    }
    if (this.closing) return
    const stream = new TaskStream({
      taskId, afterSeq,
      readPage: (after, limit, signal) => this.deps.readEvents(taskId, after, limit, signal),
      deliver: (event) => this.sendEvent(event),
      drained: () => this.drained(),
      onError: (error) => {
        this.deps.log.error({ err: error, task_id: taskId }, 'event replay failed')
        this.send({ type: 'resync', task_id: taskId, after_seq: stream.lastSent })
        this.unsubscribe(taskId)
      },
    })
    // Listening before the replay starts is what makes the hand-over gap-free (see TaskStream).
    const stop = this.deps.fanout.onTask(taskId, (event) => stream.push(event))
    this.subscriptions.set(taskId, { stream, stop })
    this.send({ type: 'subscribed', task_id: taskId, after_seq: afterSeq })
    // Not awaited: the replay runs beside the next messages (an unsubscribe must not wait for it).
    void stream.start()
  }

  private unsubscribe(taskId: number): void {
    const subscription = this.subscriptions.get(taskId)
    if (!subscription) return
    subscription.stop()
    subscription.stream.close()
    this.subscriptions.delete(taskId)
  }

  private subscribeTaskChanges(): void {
    if (!this.stopTaskChanges) {
      this.stopTaskChanges = this.deps.fanout.onTaskChanges((event) => {
        if (maySee(this.viewer, event.data.user_id)) this.sendEvent(event)
      })
    }
    this.send({ type: 'subscribed', scope: 'tasks' })
  }

  get isClosing(): boolean {
    return this.closing
  }

  /** Queues a message, behind the events queued before it; false once the connection is closing. */
  send(message: ServerMessage): boolean {
    this.flush()
    return this.write(frameOf(JSON.stringify(message)))
  }

  /** v1: the event's frame, now; v2: the event waits for the round's one frame. */
  private sendEvent(event: TaskEvent): boolean {
    if (this.closing) return false
    if (!this.batched) return this.write(eventFrame(event))
    // Events of a later round than those waiting make a frame of their own: a frame's events are those every
    // follower of the task got in the same round, which is what lets them share it.
    if (this.outgoing.length > 0 && this.outgoingRound !== this.deps.collecting()) this.flush()
    if (this.closing) return false
    this.outgoing.push(event)
    if (this.outgoing.length === 1) {
      this.outgoingRound = this.deps.collecting()
      this.deps.touch(this)
    }
    return true
  }

  /** Writes the events waiting for the round as one frame. */
  flush(): void {
    if (this.outgoing.length === 0 || this.closing) return
    const events = this.outgoing
    this.outgoing = []
    this.write(this.deps.frames.frame(events))
  }

  /** Queues a frame; a slow client (its own buffer past the bound) is closed here. */
  private write(frame: Frame): boolean {
    if (this.closing) return false
    this.writeFrame(frame)
    this.deps.touch()
    if (this.socket.bufferedAmount > this.deps.settings.maxBufferedBytes) {
      this.closeSlowConsumer('its send buffer passed WS_MAX_BUFFERED_BYTES')
      return false
    }
    return true
  }

  private writeFrame(frame: Frame): void {
    const { memory } = this.deps
    memory.hold(frame)
    // Called once the frame is handed to the OS, or with an error when the socket is gone: either way, let go.
    this.socket.send(frame.data, { binary: false }, () => {
      memory.release(frame)
      this.wakeDrainWaiters()
    })
  }

  /** Resolves once the send buffer is below a quarter of the bound (or the connection is gone). */
  private drained(): Promise<void> {
    this.flush()
    if (this.closing || this.socket.bufferedAmount <= this.deps.settings.maxBufferedBytes / 4) return Promise.resolve()
    return new Promise((resolve) => this.drainWaiters.push(resolve))
  }

  private wakeDrainWaiters(): void {
    if (this.drainWaiters.length === 0) return
    if (!this.closing && this.socket.bufferedAmount > this.deps.settings.maxBufferedBytes / 4) return
    const waiters = this.drainWaiters
    this.drainWaiters = []
    for (const wake of waiters) wake()
  }

  /** Too many messages: the client is told why and closed; nothing it sent after is handled. */
  private closeRateLimited(): void {
    const { messageBurst, messagesPerSecond } = this.deps.settings
    this.deps.log.warn({ user_id: this.viewer.userId }, 'websocket client sent too many messages; closing')
    this.send({ type: 'error', code: 'rate_limited',
      message: `too many messages: at most ${messageBurst} at once, then ${messagesPerSecond} per second` })
    this.closeWith(CloseCode.policyViolation, 'rate limit exceeded')
    // Stop reading: whatever else it has sent would only be parsed to be dropped. Its answer to the close frame
    // is not read either, so the grace timer ends the connection.
    this.socket.pause()
  }

  /** Tells the client to resync each task from the last seq sent, and closes it (4008). */
  closeSlowConsumer(why: string): void {
    if (this.closing) return
    // The events already taken from the streams go first: the resyncs' after_seq count them as sent.
    this.flush()
    if (this.closing) return // that flush passed the connection's own bound, and closed it
    this.closing = true
    this.outgoing = []
    this.deps.log.warn({ user_id: this.viewer.userId, buffered: this.socket.bufferedAmount }, `websocket client too slow (${why}); closing`)
    // Best effort: these sit behind everything already buffered.
    for (const [taskId, { stream }] of this.subscriptions) {
      this.writeFrame(frameOf(JSON.stringify({ type: 'resync', task_id: taskId, after_seq: stream.lastSent })))
    }
    this.closeWith(CloseCode.slowConsumer, 'slow consumer: resubscribe from your last seq')
  }

  /** Sends the close frame behind what is buffered; a client that does not answer it is cut off after the grace. */
  private closeWith(code: number, reason: string): void {
    this.socket.close(code, reason)
    setTimeout(() => this.socket.terminate(), this.deps.settings.closeGraceMs).unref()
    this.dispose()
  }

  /** Stops every subscription; safe to call more than once. */
  dispose(): void {
    this.closing = true
    this.inbox.length = 0
    this.outgoing = []
    for (const taskId of [...this.subscriptions.keys()]) this.unsubscribe(taskId)
    this.stopTaskChanges?.()
    this.stopTaskChanges = null
    this.wakeDrainWaiters()
  }
}
