import t from 'tap'
import { openDatabase } from '../../src/db/connect.js'
import { allocateSeq, appendEvent, insertLogs, readEvents, type LogInsert } from '../../src/db/event-repository.js'

/** The event tables written by hand-made statements (multi-row log inserts, reused seq and event statements). */

function withTask() {
  const { db, sqlite } = openDatabase(':memory:')
  const workflowId = Number(sqlite.prepare(`INSERT INTO workflows (name, display_name, version, definition, definition_hash)
    VALUES ('w', 'w', '1', '{}', 'x')`).run().lastInsertRowid)
  const taskId = (user: string) => Number(sqlite.prepare(`INSERT INTO tasks (user_id, workflow_id, workflow_name, task_name)
    VALUES (?, ?, 'w', 't')`).run(user, workflowId).lastInsertRowid)
  return { db, sqlite, taskId }
}

t.test('log rows of every batch size land whole, in order, with every column as given', async (t) => {
  const { db, sqlite, taskId } = withTask()
  t.teardown(() => db.destroy())
  const task = taskId('alice')
  const execution = Number(sqlite.prepare(`INSERT INTO task_executions (task_id, step_name, step_display_name, step_type, step_order)
    VALUES (?, 's1', 's1', 'exec', 0)`).run(task).lastInsertRowid)
  let seq = 0
  // sizes around the statement sizes: a single row, a power of two, one past the largest statement, and more
  for (const size of [1, 3, 64, 511, 512, 513, 1100]) {
    const first = await allocateSeq(db, task, size)
    t.equal(first, seq + 1, `the ${size} rows get the next seq`)
    const rows: LogInsert[] = Array.from({ length: size }, (_, i) => ({
      task_id: task, execution_id: i % 2 ? null : execution, seq: first + i, level: i % 3 ? 'info' : 'error',
      message: `batch ${size} line ${i} 'quoted' "and" ; $(not run)`, source: i % 5 ? 'stdout' : null, timestamp: `2026-12-03T10:00:${String(i % 60).padStart(2, '0')}.000Z`,
    }))
    await insertLogs(db, rows)
    const stored = sqlite.prepare(`SELECT task_id, execution_id, seq, level, message, source, timestamp FROM task_logs
      WHERE task_id = ? AND seq >= ? ORDER BY seq`).all(task, first)
    t.same(stored, rows, `${size} rows`)
    seq += size
  }
  t.equal((sqlite.prepare('SELECT count(*) AS n FROM task_logs').get() as { n: number }).n, seq)
})

t.test('events and lines share one gapless seq per task, each task its own', async (t) => {
  const { db, taskId } = withTask()
  t.teardown(() => db.destroy())
  const [a, b] = [taskId('alice'), taskId('bob')]
  const first = await appendEvent(db, a, { type: 'task.progress', data: { progress_percentage: 5, current_step: 's1', user_id: 'alice' } })
  const other = await appendEvent(db, b, { type: 'task.progress', data: { progress_percentage: 9, current_step: 's1', user_id: 'alice' } })
  const line = await allocateSeq(db, a, 2)
  await insertLogs(db, [0, 1].map((i) => ({
    task_id: a, execution_id: null, seq: line + i, level: 'info', message: `line ${i}`, source: 'stdout', timestamp: '2026-12-03T10:00:00.000Z',
  })))
  const last = await appendEvent(db, a, { type: 'task.progress', data: { progress_percentage: 50, current_step: 's2', user_id: 'alice' } })
  t.same([first.seq, line, last.seq, other.seq], [1, 2, 4, 1])
  const events = await readEvents(db, a, 0, 100)
  t.same(events.map((e) => [e.seq, e.type]), [[1, 'task.progress'], [2, 'log'], [3, 'log'], [4, 'task.progress']])
  t.same(events[3]!.data, { progress_percentage: 50, current_step: 's2', user_id: 'alice' })
  await t.rejects(allocateSeq(db, 999, 1), /task 999 does not exist/)
})
