import { WebSocketServer, type WebSocket } from 'ws'
import { logMessage } from './raw-log-insert.js'

/**
 * The baseline of the live fan-out: a bare `ws` server broadcasting the way its README does — each message
 * serialised once, then sent to every client as a frame of its own — with the same messages Topup sends a
 * `topup.v1` follower of a task's log lines. Every client gets `{"type":"subscribed"}` first, so the bench knows
 * it is counted in the broadcast.
 */
export class BareBroadcast {
  readonly server: WebSocketServer
  private readonly clients = new Set<WebSocket>()
  private seq = 0

  constructor(port = 0) {
    this.server = new WebSocketServer({ host: '127.0.0.1', port })
    this.server.on('connection', (socket) => {
      this.clients.add(socket)
      socket.on('close', () => this.clients.delete(socket))
      socket.send(JSON.stringify({ type: 'subscribed' }))
    })
  }

  get port(): number {
    return (this.server.address() as { port: number }).port
  }

  /** Broadcasts the next log line, stamped with the time it was produced. */
  line(taskId: number): void {
    this.seq++
    const message = JSON.stringify({ type: 'event', event: logEvent(taskId, this.seq, new Date().toISOString()) })
    for (const client of this.clients) client.send(message)
  }

  close(): Promise<void> {
    for (const client of this.clients) client.terminate()
    return new Promise((resolve) => this.server.close(() => resolve()))
  }
}

/** A log event as the EventStore publishes line `seq` of the bench (seq n carries logMessage(n - 1)). */
export const logEvent = (taskId: number, seq: number, at: string) => ({
  task_id: taskId, seq, type: 'log', at,
  data: { execution_id: null, level: 'info', message: logMessage(seq - 1), source: 'stdout' },
})
