import type { AbortReason, StepContext, StepOutcome } from './step-type.js'

/** The time a wait has spent, kept as durable progress so that pauses and restarts do not reset it. */
export interface WaitTime {
  started_at: string
  /** Time waited before the current stretch (earlier stretches, before pauses or restarts). */
  waited_seconds_before: number
  /**
   * When the current stretch began; null once it stopped cleanly (pause, shutdown). Still set when the next
   * attempt reads it, the stretch was cut short by a crash, after which nothing was saved: all the time since it
   * began counts as waited, so a crash never stretches max_wait_minutes (waited_seconds is only the last save's).
   */
  stretch_started_at: string | null
  waited_seconds: number
}

/** Counts a wait's time across the attempts that continue it. */
export class WaitClock {
  readonly resumed: boolean
  readonly #stretchStart = Date.now()
  readonly #before: number
  readonly #startedAt: string
  #stopped = false

  constructor(previous: unknown) {
    const time = readWaitTime(previous)
    this.resumed = time !== null
    this.#before = time ? carriedOver(time, this.#stretchStart) : 0
    this.#startedAt = time?.started_at ?? new Date(this.#stretchStart).toISOString()
  }

  get waitedBefore(): number {
    return this.#before
  }

  waited(): number {
    return round(this.#before + (Date.now() - this.#stretchStart) / 1000)
  }

  /** The stretch ends cleanly (pause, shutdown): the next attempt counts only what was saved. */
  stop(): void {
    this.#stopped = true
  }

  time(): WaitTime {
    return {
      started_at: this.#startedAt, waited_seconds_before: this.#before,
      stretch_started_at: this.#stopped ? null : new Date(this.#stretchStart).toISOString(), waited_seconds: this.waited(),
    }
  }
}

/** A number input: a number, or a template that renders to one. */
export function numberInput(ctx: StepContext, name: string, value: number | string | undefined, fallback: number): number {
  if (value === undefined) return fallback
  const n = typeof value === 'number' ? value : Number(ctx.render(value).trim())
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got ${JSON.stringify(value)}`)
  return n
}

/** Pause and shutdown leave a wait to be continued; cancel and timeout end it. */
export function stopOutcome(reason: AbortReason, state: string): StepOutcome {
  if (reason === 'pause' || reason === 'shutdown') return { status: 'interrupted', summary: `stopped waiting (${reason}): ${state}` }
  return { status: 'failed', error: `stopped waiting (${String(reason)}): ${state}`, retryable: false, summary: state }
}

function readWaitTime(value: unknown): WaitTime | null {
  if (typeof value !== 'object' || value === null) return null
  const p = value as Partial<WaitTime>
  if (typeof p.waited_seconds !== 'number' || typeof p.started_at !== 'string') return null
  return { started_at: p.started_at, waited_seconds_before: p.waited_seconds_before ?? 0,
    stretch_started_at: typeof p.stretch_started_at === 'string' ? p.stretch_started_at : null, waited_seconds: p.waited_seconds }
}

/** The time waited before this stretch: what the last stretch saved, or, if a crash cut it short, all since it began. */
function carriedOver(previous: WaitTime, now: number): number {
  const began = previous.stretch_started_at === null ? NaN : Date.parse(previous.stretch_started_at)
  if (Number.isNaN(began)) return previous.waited_seconds
  return Math.max(previous.waited_seconds, round(previous.waited_seconds_before + (now - began) / 1000))
}

export const round = (seconds: number) => Math.round(seconds * 10) / 10
