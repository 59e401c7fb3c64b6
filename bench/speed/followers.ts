import { WebSocket } from 'ws'

/** What a follower reads: a v1 frame is one event, a v2 frame a batch of them (src/api/live/protocol.ts). */
interface Frame { type: string; event?: Ev; events?: Ev[] }
interface Ev { seq: number; at: string }

export interface FollowTarget { url: string; protocols: string[]; taskId: number }

/** Delivery delays in whole milliseconds, counted per millisecond (2M samples would not fit an array well). */
export class Delays {
  private readonly counts = new Uint32Array(600_000)
  total = 0
  add(ms: number): void {
    this.counts[Math.min(this.counts.length - 1, Math.max(0, Math.round(ms)))]!++
    this.total++
  }
  quantile(q: number): number {
    let seen = 0
    for (let ms = 0; ms < this.counts.length; ms++) if ((seen += this.counts[ms]!) >= q * this.total) return ms
    return NaN
  }
}

/**
 * `count` WebSocket followers of one task, each checking that it gets every seq after the last it had, once and in
 * order. A follower told to resync (or closed) subscribes again from its last seq, as a real client does.
 */
export class Followers {
  readonly delays = new Delays()
  resyncs = 0
  private readonly last: number[]
  private readonly sockets: WebSocket[] = []
  private target = Infinity
  private waiting = 0
  private done: () => void = () => {}
  private fail: (error: Error) => void = () => {}
  private closing = false

  constructor(private readonly to: FollowTarget, count: number) {
    this.last = Array.from({ length: count }, () => 0)
  }

  /** Connects every follower; resolves once each is subscribed. */
  async open(): Promise<void> {
    await Promise.all(this.last.map((_, i) => this.connect(i)))
  }

  /** Resolves once every follower has every seq up to `seq`. */
  until(seq: number): Promise<void> {
    this.target = seq
    return new Promise((resolve, reject) => {
      this.done = resolve
      this.fail = reject
      this.waiting = this.last.filter((last) => last < seq).length
      if (this.waiting === 0) resolve()
    })
  }

  close(): void {
    this.closing = true
    for (const socket of this.sockets) socket.terminate()
  }

  private connect(i: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(this.to.url, this.to.protocols)
      this.sockets[i] = socket
      socket.on('error', reject)
      socket.on('open', () => socket.send(JSON.stringify({ type: 'subscribe', task_id: this.to.taskId, after_seq: this.last[i] })))
      socket.on('message', (data) => {
        const frame = JSON.parse(data.toString()) as Frame
        if (frame.type === 'subscribed') resolve()
        else if (frame.type === 'event') this.receive(i, frame.event!)
        else if (frame.type === 'events') for (const event of frame.events!) this.receive(i, event)
        else if (frame.type === 'resync') this.resyncs++
      })
      socket.on('close', () => {
        if (this.closing || this.last[i]! >= this.target) return
        void this.connect(i).catch((error: Error) => this.fail(error))
      })
    })
  }

  private receive(i: number, event: Ev): void {
    const now = Date.now()
    if (event.seq !== this.last[i]! + 1) return this.fail(new Error(`follower ${i}: seq ${event.seq} after ${this.last[i]}`))
    this.last[i] = event.seq
    this.delays.add(now - Date.parse(event.at))
    if (event.seq === this.target && --this.waiting === 0) this.done()
  }
}
