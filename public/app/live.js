/**
 * The one WebSocket of the page (`api/ws` beside the page, ws: or wss: as the page). Any close means "reconnect
 * and subscribe again from the last seq": reconnects with capped exponential backoff and, once open, sends every
 * subscription again, each task's from the last seq its listener has seen. Listeners drop what they have already
 * seen (a seq at or below their last), so a replay after a reconnect adds no duplicate.
 */
// topup.v2 (events batched, a frame per send) is what the server picks; topup.v1 is for a server without it.
const PROTOCOLS = ['topup.v2', 'topup.v1']
const backoffMs = (failures) => Math.min(10_000, 500 * 2 ** failures) * (0.75 + Math.random() / 2)

export class Live {
  constructor(token, onState) {
    this.token = token
    this.onState = onState
    this.socket = null
    this.failures = 0
    this.stopped = false
    this.taskFeeds = new Set()
    this.tasks = new Map()
    this.connect()
  }

  connect() {
    const url = new URL('api/ws', location.href)
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:'
    url.hash = ''
    const socket = new WebSocket(url, [...PROTOCOLS, `bearer.${this.token}`])
    this.socket = socket
    socket.onopen = () => {
      this.failures = 0
      this.onState('online')
      if (this.taskFeeds.size > 0) this.send({ type: 'subscribe_tasks' })
      for (const feed of this.taskFeeds) feed.onReconnect?.()
      for (const [taskId, subscription] of this.tasks) this.sendSubscribe(taskId, subscription)
    }
    socket.onmessage = (message) => this.receive(JSON.parse(message.data))
    socket.onclose = () => {
      if (this.socket !== socket || this.stopped) return
      this.socket = null
      this.onState('offline')
      setTimeout(() => { if (!this.stopped) this.connect() }, backoffMs(this.failures++))
    }
  }

  receive(message) {
    if (message.type === 'events') for (const event of message.events) this.deliver(event)
    else if (message.type === 'event') this.deliver(message.event)
  }

  deliver(event) {
    this.tasks.get(event.task_id)?.listener(event)
    if (event.type === 'task.status' || event.type === 'task.progress') for (const feed of this.taskFeeds) feed.listener(event)
  }

  send(message) {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message))
  }

  sendSubscribe(taskId, subscription) {
    this.send({ type: 'subscribe', task_id: taskId, after_seq: subscription.lastSeq() })
  }

  /** Status and progress changes of every task one may see; `onReconnect` runs after each reconnect (no replay). */
  subscribeTasks(listener, onReconnect) {
    const feed = { listener, onReconnect }
    if (this.taskFeeds.size === 0) this.send({ type: 'subscribe_tasks' })
    this.taskFeeds.add(feed)
    return () => {
      this.taskFeeds.delete(feed)
      if (this.taskFeeds.size === 0) this.send({ type: 'unsubscribe_tasks' })
    }
  }

  /** Every event of one task after `lastSeq()`, replayed then live; again after each reconnect. */
  subscribeTask(taskId, lastSeq, listener) {
    const subscription = { lastSeq, listener }
    this.tasks.set(taskId, subscription)
    this.sendSubscribe(taskId, subscription)
    return () => {
      if (this.tasks.get(taskId) !== subscription) return
      this.tasks.delete(taskId)
      this.send({ type: 'unsubscribe', task_id: taskId })
    }
  }

  stop() {
    this.stopped = true
    this.socket?.close()
  }
}
