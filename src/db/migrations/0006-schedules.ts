import type { Migration } from './migration.js'

/**
 * Schedules: every task says who or what made it (`created_by`: a user id, or schedule:<name>; NULL for the tasks
 * made before), and each firing of a schedule is recorded once — the UNIQUE pair keeps a restart, a catch-up or
 * a second look at the same minute from making its task twice.
 */
export const schedules: Migration = {
  name: '0006-schedules',
  sql: `
ALTER TABLE tasks ADD COLUMN created_by TEXT;
CREATE TABLE schedule_runs (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  schedule   TEXT    NOT NULL,
  fire_time  TEXT    NOT NULL,
  outcome    TEXT    NOT NULL CHECK (outcome IN ('created', 'skipped', 'failed')),
  task_id    INTEGER REFERENCES tasks (id) ON DELETE SET NULL,
  message    TEXT,
  created_at TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  UNIQUE (schedule, fire_time)
);
`,
}
