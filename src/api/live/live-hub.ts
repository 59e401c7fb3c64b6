import type { WebSocket } from 'ws'
import type { FastifyBaseLogger } from 'fastify'
import type { Principal } from '../../auth/token.js'
import type { TaskEventSource } from '../../engine/interfaces.js'
import { EventFanout } from './event-fanout.js'
import type { HistoryGate } from './history-gate.js'
import { LiveConnection, type LiveSettings } from './live-connection.js'

export interface LiveHubOptions extends LiveSettings {
  /** Seconds between server pings; a client that has not answered the previous one is dropped. */
  heartbeatSeconds: number
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
  closeGraceMs: 5000,
  maxSubscriptions: 100,
  messageBurst: 100,
  messagesPerSecond: 20,
}

/** Every open WebSocket client, the shared bus fan-out and the ping/pong heartbeat. */
export class LiveHub {
  private readonly connections = new Set<LiveConnection>()
  private readonly fanout: EventFanout
  private readonly heartbeat: NodeJS.Timeout

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
