import type { Migration } from './migration.js'

/**
 * A task's place under its workflow's `concurrency` setting: the key as rendered when the task was created and the
 * limit of its snapshot, both NULL for a task without one (every task created before this migration: their
 * snapshots have no such setting). The scheduler reads them for every claim, hence columns and not the snapshot.
 * The index serves its question "which tasks of this key have started and not ended".
 */
export const concurrencyKey: Migration = {
  name: '0004-concurrency-key',
  sql: `
ALTER TABLE tasks ADD COLUMN concurrency_key TEXT;
ALTER TABLE tasks ADD COLUMN concurrency_limit INTEGER;
CREATE INDEX idx_tasks_concurrency ON tasks (concurrency_key, status) WHERE concurrency_key IS NOT NULL;
`,
}
