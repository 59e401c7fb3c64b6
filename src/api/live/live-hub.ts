import type { WebSocket } from 'ws'
import type { FastifyBaseLogger } from 'fastify'
import type { Principal } from '../../auth/token.js'
import type { TaskEventSource } from '../../engine/interfaces.js'
import { EventFanout } from './event-fanout.js'
import { BatchFrames } from './event-frames.js'
import type { HistoryGate } from './history-gate.js'
import { LiveConnection, type LiveSettings } from './live-connection.js'
import { SendMemory } from './send-memory.js'

export interface LiveHubOptions extends LiveSettings {
  /** Seconds between server pings; a client that has not answered the previous one is dropped. */
  heartbeatSeconds: number
  /**
   * The send memory of all clients together (a frame shared by many counts once); above it, the clients furthest
   * behind are told to resync and closed until it would be below again.
   */
  maxTotalBufferedBytes: number
}

export interface LiveHubDeps {
  /** Live events, and the history a subscription replays first. */
  events: TaskEventSource
  /** Every replay page waits its turn here, beside the REST history reads. */
  historyReads: HistoryGate
  log: FastifyBaseLogger
  canSee(viewer: Principal, taskId: number): Promise<boolean>
}

export const defaultLiveOptions: LiveHubOptions = {
  heartbeatSeconds: 30,
  maxBufferedBytes: 4 * 1024 * 1024,
  maxTotalBufferedBytes: 64 * 1024 * 1024,
  closeGraceMs: 5000,
  maxSubscriptions: 100,
  messageBurst: 100,
  messagesPerSecond: 20,
}

/** Connections written in one go of a send round; the event loop turns between such slices. */
const ROUND_SLICE = 100

/**
 * Every open WebSocket client, the shared bus fan-out, the send rounds and the ping/pong heartbeat.
 *
 * A send round: what one turn of the event loop publishes (a log flush publishes up to a thousand lines at once)
 * is queued by each topup.v2 connection, then, from a microtask on, each writes it as one frame, the followers of
 * a task sharing that frame's bytes. A write to a socket costs tens of microseconds whatever its size, so a round
 * for a thousand followers goes a slice at a time: the task producing the events (and every request) runs between
 * slices rather than waiting behind the whole round. After the round, the send memory of all clients is checked
 * against its bound.
 */
export class LiveHub {
  private readonly connections = new Set<LiveConnection>()
  private readonly fanout: EventFanout
  private readonly heartbeat: NodeJS.Timeout
  readonly memory = new SendMemory()
  private readonly frames = new BatchFrames()
  /** The connections of the round under way, and those that queued events since it began (the next round's). */
  private round: LiveConnection[] = []
  private next: LiveConnection[] = []
  private roundQueued = false
  /** The number of the round that events queued now belong to. */
  private collecting = 0
  private readonly touch = (connection?: LiveConnection) => {
    if (connection) this.next.push(connection)
    if (this.roundQueued) return
    this.roundQueued = true
    queueMicrotask(() => this.sendRound())
  }

  constructor(private readonly deps: LiveHubDeps, private readonly options: LiveHubOptions = defaultLiveOptions) {
    this.fanout = new EventFanout(deps.events, (error) => deps.log.error({ err: error }, 'websocket listener failed'))
    this.heartbeat = setInterval(() => this.beat(), options.heartbeatSeconds * 1000)
    this.heartbeat.unref()
  }

  accept(socket: WebSocket, viewer: Principal): LiveConnection {
    const connection = new LiveConnection(socket, viewer, {
      fanout: this.fanout,
      settings: this.options,
      log: this.deps.log,
      readEvents: (taskId, afterSeq, limit, signal) =>
        this.deps.historyReads.run(() => this.deps.events.read(taskId, afterSeq, limit), { signal }),
      canSee: this.deps.canSee,
      memory: this.memory,
      frames: this.frames,
      touch: this.touch,
      collecting: () => this.collecting,
    })
    this.connections.add(connection)
    socket.on('close', () => this.connections.delete(connection))
    return connection
  }

  /** Open clients and their subscriptions (read by /metrics). */
  stats(): { clients: number; subscriptions: number } {
    let subscriptions = 0
    for (const connection of this.connections) subscriptions += connection.subscriptionCount
    return { clients: this.connections.size, subscriptions }
  }

  private sendRound(): void {
    if (this.round.length === 0) {
      [this.round, this.next] = [this.next, this.round]
      this.collecting++
    }
    for (const connection of this.round.splice(0, ROUND_SLICE)) connection.flush()
    if (this.round.length > 0) return void setImmediate(() => this.sendRound())
    this.frames.endRound()
    this.boundMemory()
    if (this.next.length > 0) setImmediate(() => this.sendRound())
    else this.roundQueued = false
  }

  /**
   * Past the bound, the clients furthest behind (most bytes waiting) are closed with a resync, one after another,
   * until what the others hold would be below it. Their memory goes once their sockets are gone; until then it
   * counts for nobody else.
   */
  private boundMemory(): void {
    const bound = this.options.maxTotalBufferedBytes
    if (this.memory.bytes <= bound) return
    let left = this.memory.bytes
    const open: LiveConnection[] = []
    for (const connection of this.connections) {
      if (connection.isClosing) left -= connection.socket.bufferedAmount
      else if (connection.socket.bufferedAmount > 0) open.push(connection)
    }
    open.sort((a, b) => b.socket.bufferedAmount - a.socket.bufferedAmount)
    for (const connection of open) {
      if (left <= bound) break
      left -= connection.socket.bufferedAmount
      connection.closeSlowConsumer('the send memory of all clients passed WS_MAX_TOTAL_BUFFERED_BYTES')
    }
  }

  /** Pings every client; one that did not answer the previous ping is gone (or wedged) and is dropped. */
  private beat(): void {
    for (const connection of this.connections) {
      if (!connection.alive) {
        this.deps.log.info({ user_id: connection.viewer.userId }, 'websocket client missed a heartbeat; terminating')
        connection.dispose()
        connection.socket.terminate()
        continue
      }
      connection.alive = false
      connection.socket.ping()
    }
  }

  close(): void {
    clearInterval(this.heartbeat)
    for (const connection of this.connections) connection.dispose()
    this.fanout.close()
  }
}
