import type { Db } from '../db/connect.js'
import { stampHeartbeat } from '../db/task-repository.js'

export const HEARTBEAT_MS = 15_000

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
