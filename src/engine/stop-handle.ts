import type { AbortReason } from '../steps/step-type.js'

export type StopRequest = 'pause' | 'cancel' | 'shutdown'

/**
 * The in-memory handle of one task that a runner is working on: it lets pause, cancel and shutdown reach the
 * running step (through its AbortController) and wake a retry delay. The database status stays the truth;
 * these requests only make the runner notice sooner.
 */
export class StopHandle {
  #requested: StopRequest | null = null
  #controller: AbortController | null = null
  #canStop: () => boolean = () => false
  readonly #wakers = new Set<() => void>()

  constructor(readonly taskId: number) {}

  get shuttingDown(): boolean {
    return this.#requested === 'shutdown'
  }

  /**
   * A step attempt begins: a request that came just before still reaches it. `canStop` tells, at the moment
   * of a pause or shutdown, whether the step can stop now and be continued later (canContinue).
   */
  attach(controller: AbortController, canStop: () => boolean): void {
    this.#controller = controller
    this.#canStop = canStop
    this.recheck()
  }

  /** The running step's state changed (it recorded a handle): a pause that had to wait may reach it now. */
  recheck(): void {
    if (this.#requested) this.#deliver(this.#requested)
  }

  detach(): void {
    this.#controller = null
  }

  request(kind: StopRequest): void {
    // cancel outranks shutdown, which outranks pause
    const rank = { pause: 1, shutdown: 2, cancel: 3 }
    if (this.#requested && rank[this.#requested] >= rank[kind]) return
    this.#requested = kind
    this.#deliver(kind)
    for (const wake of [...this.#wakers]) wake()
  }

  /** Shutdown grace is over: stop even a step that is not interruptible. */
  abortNow(reason: AbortReason): void {
    this.#controller?.abort(reason)
  }

  /** Waits `ms`, or less when a stop is requested (only one that `wakesOn` accepts, when given). */
  sleep(ms: number, wakesOn: (request: StopRequest) => boolean = () => true): Promise<void> {
    const woken = () => this.#requested !== null && wakesOn(this.#requested)
    if (woken()) return Promise.resolve()
    return new Promise((resolve) => {
      const done = () => { clearTimeout(timer); this.#wakers.delete(wake); resolve() }
      const wake = () => { if (woken()) done() }
      const timer = setTimeout(done, ms)
      this.#wakers.add(wake)
    })
  }

  #deliver(kind: StopRequest): void {
    const controller = this.#controller
    if (!controller || controller.signal.aborted) return
    if (kind === 'cancel' || this.#canStop()) controller.abort(kind satisfies AbortReason)
  }
}
