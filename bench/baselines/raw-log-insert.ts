import type SQLite from 'better-sqlite3'

/**
 * The baseline of log ingest: the same rows as the engine writes (task, execution, seq, level, message, source,
 * timestamp) through one prepared better-sqlite3 INSERT, `batch` rows a transaction, the task's last_seq moved
 * once a batch as the engine does.
 */
export function rawLogInsert(sqlite: SQLite.Database, taskId: number, lines: number, batch: number): void {
  const insert = sqlite.prepare(`INSERT INTO task_logs (task_id, execution_id, seq, level, message, source, timestamp)
    VALUES (?, NULL, ?, 'info', ?, 'stdout', ?)`)
  const seq = sqlite.prepare('UPDATE tasks SET last_seq = last_seq + ? WHERE id = ? RETURNING last_seq')
  const write = sqlite.transaction((from: number, count: number) => {
    const { last_seq: last } = seq.get(count, taskId) as { last_seq: number }
    const at = new Date().toISOString()
    for (let i = 0; i < count; i++) insert.run(taskId, last - count + 1 + i, logMessage(from + i), at)
  })
  for (let from = 0; from < lines; from += batch) write(from, Math.min(batch, lines - from))
}

/** The text of the bench's log line `i`: about the length of a job script's output line. */
export const logMessage = (i: number): string => `line ${i}: processing run 0${i % 100} event block, 1000 events, ok`
