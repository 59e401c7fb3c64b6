import { sql } from 'kysely'
import type { Db } from './connect.js'
import type { LogLevel, NewStoredEvent, TaskEvent } from '../domain.js'

/**
 * Task events live in two tables sharing one per-task sequence: log lines in task_logs, everything else in
 * task_events. `tasks.last_seq` is the allocator; it must be bumped in the same transaction as the rows it
 * numbers, which the callers (the event store) guarantee.
 */

/** Reserves `count` sequence numbers for a task; returns the first. */
export async function allocateSeq(trx: Db, taskId: number, count: number): Promise<number> {
  const row = await trx.updateTable('tasks')
    .set({ last_seq: sql<number>`last_seq + ${count}` })
    .where('id', '=', taskId)
    .returning('last_seq')
    .executeTakeFirst()
  if (!row) throw new Error(`task ${taskId} does not exist`)
  return row.last_seq - count + 1
}

/** Numbers an event (the task's next seq) and writes it in the caller's transaction; answers it as a reader sees it. */
export async function appendEvent(trx: Db, taskId: number, event: NewStoredEvent): Promise<TaskEvent> {
  const seq = await allocateSeq(trx, taskId, 1)
  const at = new Date().toISOString()
  await trx.insertInto('task_events')
    .values({ task_id: taskId, seq, type: event.type, payload: JSON.stringify(event.data), created_at: at }).execute()
  return { task_id: taskId, seq, at, ...event } as TaskEvent
}

export interface LogInsert {
  task_id: number
  execution_id: number | null
  seq: number
  level: LogLevel
  message: string
  source: string | null
  timestamp: string
}

const LOG_ROWS_PER_INSERT = 500

export async function insertLogs(trx: Db, rows: LogInsert[]): Promise<void> {
  for (let i = 0; i < rows.length; i += LOG_ROWS_PER_INSERT) {
    await trx.insertInto('task_logs').values(rows.slice(i, i + LOG_ROWS_PER_INSERT)).execute()
  }
}

/** Every event of a task after `afterSeq`, both tables merged, in seq order, at most `limit`. */
export async function readEvents(db: Db, taskId: number, afterSeq: number, limit: number): Promise<TaskEvent[]> {
  const [events, logs] = await Promise.all([
    db.selectFrom('task_events').selectAll()
      .where('task_id', '=', taskId).where('seq', '>', afterSeq)
      .orderBy('seq').limit(limit).execute(),
    db.selectFrom('task_logs').selectAll()
      .where('task_id', '=', taskId).where('seq', '>', afterSeq)
      .orderBy('seq').limit(limit).execute(),
  ])
  const merged: TaskEvent[] = [
    ...events.map((e) => ({
      task_id: e.task_id, seq: e.seq, type: e.type, at: e.created_at, data: JSON.parse(e.payload),
    }) as TaskEvent),
    ...logs.map((l): TaskEvent => ({
      task_id: l.task_id, seq: l.seq, type: 'log', at: l.timestamp,
      data: { execution_id: l.execution_id, level: l.level, message: l.message, source: l.source },
    })),
  ]
  merged.sort((a, b) => a.seq - b.seq)
  return merged.slice(0, limit)
}
