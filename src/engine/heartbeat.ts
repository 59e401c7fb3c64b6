import type { Db } from '../db/connect.js'
import { silentExecutions } from '../db/execution-repository.js'
import { stampHeartbeat } from '../db/task-repository.js'

export const HEARTBEAT_MS = 15_000
/** Beats a running step may miss before its runner counts as stale. */
export const STALE_AFTER_BEATS = 3

/**
 * While a step runs, stamps `heartbeat_at` on the task and on the execution every `everyMs`, so that an
 * operator (or a later check) can tell a long step that is alive from one whose runner is gone. No event: two
 * single-row UPDATEs per beat. Returns the function that stops it.
 */
export function startHeartbeat(db: Db, taskId: number, executionId: number, everyMs: number,
  onError: (error: unknown) => void = () => {}): () => void {
  const timer = setInterval(() => { stampHeartbeat(db, taskId, executionId, new Date().toISOString()).catch(onError) }, everyMs)
  timer.unref()
  return () => clearInterval(timer)
}

/** A step recorded as running whose runner has not beaten for STALE_AFTER_BEATS beats. */
export interface StaleRunner {
  taskId: number
  executionId: number
  stepId: string
  /** Its last heartbeat (the attempt's start before the first). */
  lastSeen: string
  silentSeconds: number
  /** Whether a runner of this process holds the task: a runner stuck here, rather than one that is gone. */
  runnerHere: boolean
}

export async function staleRunners(db: Db, now: Date, everyMs: number, runnerHere: (taskId: number) => boolean):
  Promise<StaleRunner[]> {
  const rows = await silentExecutions(db, new Date(now.getTime() - STALE_AFTER_BEATS * everyMs).toISOString())
  return rows.map((row) => {
    const lastSeen = (row.heartbeat_at ?? row.start_time)!
    return {
      taskId: row.task_id, executionId: row.id, stepId: row.step_name, lastSeen,
      silentSeconds: (now.getTime() - Date.parse(lastSeen)) / 1000, runnerHere: runnerHere(row.task_id),
    }
  })
}

/** "runner last seen 2026-12-01T10:00:00.000Z, 40 s before this start", for the log of a task recovered at boot. */
export function lastSeenText(beat: string | null, start: Date): string {
  if (beat === null) return 'its runner recorded no heartbeat'
  return `runner last seen ${beat}, ${Math.floor((start.getTime() - Date.parse(beat)) / 1000)} s before this start`
}
