import type { Migration } from './migration.js'

/**
 * A task's workflow snapshot moves out of its row into task_snapshots. The snapshot (3–50 KB of JSON) sat in the
 * middle of a row the engine updates at every step: an update that changed the row's size rewrote all of it
 * (14 WAL pages for a 49 KB snapshot instead of one, 90 µs instead of 13), and every read of a column after it
 * (status, last_seq, created_at…) walked its overflow pages. The snapshots are copied as they are; DROP COLUMN
 * (SQLite 3.35) rewrites tasks without it, keeping every other column, id and index.
 */
export const taskSnapshots: Migration = {
  name: '0010-task-snapshots',
  sql: `
CREATE TABLE task_snapshots (
  task_id           INTEGER NOT NULL PRIMARY KEY REFERENCES tasks (id) ON DELETE CASCADE,
  workflow_snapshot TEXT    NOT NULL
);
INSERT INTO task_snapshots (task_id, workflow_snapshot) SELECT id, workflow_snapshot FROM tasks ORDER BY id;
ALTER TABLE tasks DROP COLUMN workflow_snapshot;
`,
}
