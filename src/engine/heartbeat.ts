import type { Db } from '../db/connect.js'

export const HEARTBEAT_MS = 15_000

/**
 * While a step runs, stamps `heartbeat_at` on the task and on the execution every `everyMs`, so that an
 * operator (or a later check) can tell a long step that is alive from one whose runner is gone. No event: two
 * single-row UPDATEs per beat. Returns the function that stops it.
 */
export function startHeartbeat(db: Db, taskId: number, executionId: number, everyMs: number,
  onError: (error: unknown) => void = () => {}): () => void {
  const beat = async () => {
    const now = new Date().toISOString()
    await db.updateTable('task_executions').set({ heartbeat_at: now }).where('id', '=', executionId).execute()
    await db.updateTable('tasks').set({ heartbeat_at: now }).where('id', '=', taskId).execute()
  }
  const timer = setInterval(() => { beat().catch(onError) }, everyMs)
  timer.unref()
  return () => clearInterval(timer)
}
