import type { Migration } from './migration.js'

/**
 * The lifecycle actions (who created, started, paused, resumed, cancelled a task) are task.status events with an
 * `action` in their payload. GET /api/audit reads them across every task, newest first; without an index that is
 * a scan of every event (over a second at a million events, the server's one thread held). A partial index holds
 * only the actions, a few per task. Its WHERE must be written in a query exactly so (audit-repository.ts).
 */
export const actionIndex: Migration = {
  name: '0007-action-index',
  sql: `
CREATE INDEX idx_events_actions ON task_events (created_at)
  WHERE type = 'task.status' AND json_extract(payload, '$.action') IS NOT NULL;
`,
}
