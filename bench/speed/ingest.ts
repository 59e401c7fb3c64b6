import { join } from 'node:path'
import { openDatabase } from '../../src/db/connect.js'
import { EventBus } from '../../src/engine/bus.js'
import { EventStore } from '../../src/engine/event-store.js'
import { logMessage, rawLogInsert } from '../baselines/raw-log-insert.js'

export type IngestVariant = 'event-store' | 'event-store-uncached' | 'raw'

/** A fresh database in `dir` with one task (its workflow row beside it), for one ingest run. */
function withTask(dir: string, statementCache?: number) {
  const opened = openDatabase(join(dir, 'topup.db'), statementCache === undefined ? {} : { statementCache })
  const workflowId = Number(opened.sqlite.prepare(`INSERT INTO workflows (name, display_name, version, definition, definition_hash)
    VALUES ('bench', 'bench', '1', '{}', 'x')`).run().lastInsertRowid)
  const taskId = Number(opened.sqlite.prepare(`INSERT INTO tasks (user_id, workflow_id, workflow_name, task_name)
    VALUES ('alice', ?, 'bench', 'ingest')`).run(workflowId).lastInsertRowid)
  return { ...opened, taskId }
}

/**
 * `lines` log lines of one task, in lines per second: through the engine's EventStore as a step's output reaches
 * it (a chunk of lines, then the event loop turns) with nobody following, or raw (the baseline). Every line is
 * checked to be there, in order, afterwards.
 */
export async function ingest(variant: IngestVariant, dir: string, lines: number): Promise<number> {
  const { db, sqlite, taskId } = withTask(dir, variant === 'event-store-uncached' ? 0 : undefined)
  const chunk = 1000
  let seconds: number
  try {
    const started = performance.now()
    if (variant === 'raw') rawLogInsert(sqlite, taskId, lines, chunk)
    else {
      const store = new EventStore(db, new EventBus(), (error) => { throw error })
      for (let from = 0; from < lines; from += chunk) {
        for (let i = from; i < Math.min(lines, from + chunk); i++) {
          store.log({ taskId, level: 'info', message: logMessage(i), source: 'stdout' })
        }
        await new Promise(setImmediate)
      }
      await store.flush()
    }
    seconds = (performance.now() - started) / 1000
    const check = sqlite.prepare(`SELECT count(*) AS n, min(seq) AS first, max(seq) AS last FROM task_logs WHERE task_id = ?`)
      .get(taskId) as { n: number; first: number; last: number }
    if (check.n !== lines || check.first !== 1 || check.last !== lines) throw new Error(`${variant}: ${JSON.stringify(check)} for ${lines} lines`)
  } finally {
    await db.destroy()
  }
  return lines / seconds
}
