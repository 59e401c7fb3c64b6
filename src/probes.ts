/**
 * Measurements the layers below the API publish for /metrics (src/metrics/ listens). A probe with no listener
 * costs one check, so the SSH pool, the job poller and the event store publish unconditionally; a leaf module,
 * so that publishing does not make them depend on the metrics.
 */
export class Probe<T> {
  readonly #listeners = new Set<(value: T) => void>()

  publish(value: T): void {
    for (const listener of this.#listeners) {
      try { listener(value) } catch { /* a listener's fault must not reach the code it measures */ }
    }
  }

  /** Returns the unsubscribe. */
  subscribe(listener: (value: T) => void): () => void {
    const entry = (value: T) => listener(value)
    this.#listeners.add(entry)
    return () => { this.#listeners.delete(entry) }
  }
}

export const probes = {
  /** A connection attempt to an SSH host failed (`kind`: the TransportError kind). */
  sshConnectFailed: new Probe<{ host: string; kind: string }>(),
  /** An exec channel was confirmed by the host, `seconds` after it was asked for. */
  sshExecOpened: new Probe<{ host: string; seconds: number }>(),
  /** One status poll of a host's batch system ended. */
  jobPoll: new Probe<{ host: string; system: string; seconds: number; ok: boolean }>(),
  /** One batch of buffered log lines was written (committed) in `seconds`. */
  logFlush: new Probe<{ seconds: number; lines: number }>(),
}
