import t from 'tap'
import SQLite from 'better-sqlite3'
import { selectEventsSince } from '../../src/db/notify-repository.js'
import { selectActions, type ActionFilter } from '../../src/db/audit-repository.js'
import { freshDatabase } from '../helpers/db.js'

// The audit reads across every task's events: only the partial index of the actions (migration 0007) keeps that
// from scanning them all, and SQLite uses it only when the query repeats the index's WHERE exactly.
t.test('the audit\'s queries read the index of the actions, not every event', async (t) => {
  const { db, file } = freshDatabase(t)
  const sqlite = new SQLite(file, { readonly: true })
  t.teardown(() => sqlite.close())
  const filters: ActionFilter[] = [{}, { actor: 'root' }, { userId: 'alice', action: 'pause', since: '2025-06-24T00:00:00.000Z' }]
  for (const filter of filters) {
    const query = selectActions(db, filter).select('seq').orderBy('created_at', 'desc').limit(50).compile()
    const plan = sqlite.prepare(`EXPLAIN QUERY PLAN ${query.sql}`).all(...query.parameters) as { detail: string }[]
    t.match(plan.map((step) => step.detail).join('; '), /USING INDEX idx_events_actions/, JSON.stringify(filter))
  }
})

t.test('the notifier\'s query reads its own index, and the audit\'s never takes it', async (t) => {
  const { db, file } = freshDatabase(t)
  const sqlite = new SQLite(file, { readonly: true })
  t.teardown(() => sqlite.close())
  const query = selectEventsSince(db, '2025-06-24T00:00:00.000Z', 50).compile()
  const plan = sqlite.prepare(`EXPLAIN QUERY PLAN ${query.sql}`).all(...query.parameters) as { detail: string }[]
  t.match(plan.map((step) => step.detail).join('; '), /USING INDEX idx_events_notified/)
})
