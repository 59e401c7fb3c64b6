import { messageOf } from '../errors.js'
import type { Db } from './connect.js'
import { describeFault, storageFault, type StorageFault } from './storage-fault.js'

/** What the last probe found: writes work, or they fail since `failingSince` (with the fault, when a storage one). */
export type WriteState =
  | { ok: true; checkedAt: string }
  | { ok: false; checkedAt: string; failingSince: string; fault: StorageFault | null; error: string }

export interface ProbeLog {
  error(obj: object, msg: string): void
  info(obj: object, msg: string): void
}

/**
 * Checks every `everyMs` that the database takes a write: one row of schema_meta (`write_probe_at`) rewritten
 * with the time. A read (SELECT 1) still answers on a full disk, so only a write tells that every change is
 * being refused. The row is a real change — an UPDATE that writes the same value can succeed without needing
 * a byte of space. Logs once when writes start failing (with the original error) and once when they work again.
 */
export class WriteProbe {
  #state: WriteState | null = null
  #timer: NodeJS.Timeout | null = null
  #running: Promise<WriteState> | null = null

  constructor(private readonly db: Db, private readonly everyMs: number, private readonly log?: ProbeLog) {}

  start(): void {
    if (this.#timer) return
    void this.probe()
    this.#timer = setInterval(() => void this.probe(), this.everyMs)
    this.#timer.unref()
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = null
  }

  /** The last probe's finding; null before the first one ended. */
  get state(): WriteState | null {
    return this.#state
  }

  /** Probes now (joining a probe already under way). */
  probe(): Promise<WriteState> {
    this.#running ??= this.#write().finally(() => { this.#running = null })
    return this.#running
  }

  async #write(): Promise<WriteState> {
    const checkedAt = new Date().toISOString()
    const before = this.#state
    try {
      await this.db.insertInto('schema_meta').values({ key: 'write_probe_at', value: checkedAt })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value: checkedAt })).execute()
      this.#state = { ok: true, checkedAt }
      if (before && !before.ok) this.log?.info({ failing_since: before.failingSince }, 'database writes work again')
    } catch (error) {
      const fault = storageFault(error)
      const failingSince = before && !before.ok ? before.failingSince : checkedAt
      this.#state = { ok: false, checkedAt, failingSince, fault, error: messageOf(error) }
      if (!before || before.ok) {
        this.log?.error({ err: error }, `database writes are failing: ${fault ? describeFault(fault) : messageOf(error)}`)
      }
    }
    return this.#state
  }
}
