import { CompiledQuery, sql } from 'kysely'
import type { Db } from './connect.js'
import { reusableQuery } from './reusable-query.js'
import type { LogLevel, NewStoredEvent, TaskEvent } from '../domain.js'

/**
 * Task events live in two tables sharing one per-task sequence: log lines in task_logs, everything else in
 * task_events. `tasks.last_seq` is the allocator; it must be bumped in the same transaction as the rows it
 * numbers, which the callers (the event store) guarantee.
 */

const bumpSeq = reusableQuery((db: Db, taskId: number, count: number) => db.updateTable('tasks')
  .set({ last_seq: sql<number>`last_seq + ${count}` })
  .where('id', '=', taskId)
  .returning('last_seq'))

/** Reserves `count` sequence numbers for a task; returns the first. */
export async function allocateSeq(trx: Db, taskId: number, count: number): Promise<number> {
  const [row] = await bumpSeq(trx, taskId, count)
  if (!row) throw new Error(`task ${taskId} does not exist`)
  return row.last_seq - count + 1
}

const insertEvent = reusableQuery((db: Db, taskId: number, seq: number, type: string, payload: string, at: string) =>
  db.insertInto('task_events').values({ task_id: taskId, seq, type: type as NewStoredEvent['type'], payload, created_at: at }))

/** Numbers an event (the task's next seq) and writes it in the caller's transaction; answers it as a reader sees it. */
export async function appendEvent(trx: Db, taskId: number, event: NewStoredEvent): Promise<TaskEvent> {
  const seq = await allocateSeq(trx, taskId, 1)
  const at = new Date().toISOString()
  await insertEvent(trx, taskId, seq, event.type, JSON.stringify(event.data), at)
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

const LOG_COLUMNS = ['task_id', 'execution_id', 'seq', 'level', 'message', 'source', 'timestamp'] as const satisfies ReadonlyArray<keyof LogInsert>
/** The most rows one INSERT takes (7 values a row, well below SQLite's 32766 variables). */
const LOG_ROWS_PER_INSERT = 512
const logInserts = new Map<number, string>()

/**
 * The INSERT of `rows` log rows, written once per size. Sizes are powers of two, so a flush of any length is a
 * few statements out of ten that stay prepared; Kysely's builder cost more per line than SQLite's insert.
 */
function logInsertSql(rows: number): string {
  let text = logInserts.get(rows)
  if (text === undefined) {
    const row = `(${LOG_COLUMNS.map(() => '?').join(', ')})`
    text = `insert into "task_logs" (${LOG_COLUMNS.map((c) => `"${c}"`).join(', ')}) values ${Array(rows).fill(row).join(', ')}`
    logInserts.set(rows, text)
  }
  return text
}

/** Writes the rows in the caller's transaction. */
export async function insertLogs(trx: Db, rows: readonly LogInsert[]): Promise<void> {
  for (let from = 0; from < rows.length;) {
    const left = rows.length - from
    const size = left >= LOG_ROWS_PER_INSERT ? LOG_ROWS_PER_INSERT : 2 ** Math.floor(Math.log2(left))
    const values: unknown[] = new Array(size * LOG_COLUMNS.length)
    let at = 0
    for (let i = from; i < from + size; i++) {
      const row = rows[i]!
      for (const column of LOG_COLUMNS) values[at++] = row[column]
    }
    await trx.executeQuery(CompiledQuery.raw(logInsertSql(size), values))
    from += size
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
