import type { TaskEvent } from '../domain.js'

export type EventListener = (event: TaskEvent) => void | Promise<void>

/**
 * In-process fan-out of committed task events. A push is only a latency hint: whoever misses one can read
 * the database (readEvents). Listeners are isolated: one that throws or rejects is reported and the others,
 * and the engine that published, carry on.
 */
export class EventBus {
  readonly #listeners = new Set<EventListener>()
  readonly #onError: (error: unknown, event: TaskEvent) => void

  constructor(onError: (error: unknown, event: TaskEvent) => void = () => {}) {
    this.#onError = onError
  }

  subscribe(listener: EventListener): () => void {
    // A wrapper per subscription, so the same function subscribed twice is two independent subscriptions.
    const entry: EventListener = (event) => listener(event)
    this.#listeners.add(entry)
    return () => { this.#listeners.delete(entry) }
  }

  publish(event: TaskEvent): void {
    for (const listener of [...this.#listeners]) {
      try {
        const result = listener(event)
        if (result && typeof result.then === 'function') result.then(undefined, (error) => this.#report(error, event))
      } catch (error) {
        this.#report(error, event)
      }
    }
  }

  #report(error: unknown, event: TaskEvent): void {
    try { this.#onError(error, event) } catch { /* a failing error reporter must not break publishing either */ }
  }
}
