import type { Migration } from './migration.js'

/**
 * CHECK constraints on the enum columns, and the two tables nothing ever used dropped.
 *
 * SQLite cannot add a CHECK to a table, so tasks, task_executions, task_logs and task_events are rebuilt by its
 * documented procedure (https://sqlite.org/lang_altertable.html#otheralter): create new_X, copy every row with
 * its id, carry the AUTOINCREMENT counter over (so an id deleted before the upgrade is never handed out again),
 * drop X, rename new_X to X, recreate X's indexes. The runner does the steps around it: foreign_keys OFF before
 * its transaction (the pragma is a no-op inside one, and with it on, dropping tasks would cascade-delete every
 * child row), `PRAGMA foreign_key_check` before commit, foreign_keys back on after.
 *
 * The value lists are written out as they were in src/domain.ts when this was written, on purpose: a migration
 * must mean the same thing forever. When domain.ts gains a value, a new migration rebuilds the table again
 * (test/db/schema-drift.test.ts fails until schema.sql's lists equal domain.ts's). task_events never holds
 * `log`: log lines live in task_logs.
 */
export const enumChecks: Migration = {
  name: '0002-enum-checks',
  sql: `
DROP TABLE remote_jobs;
DROP TABLE user_preferences;

CREATE TABLE new_tasks (
  id                  INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id             TEXT    NOT NULL,
  workflow_id         INTEGER NOT NULL REFERENCES workflows (id),
  workflow_name       TEXT    NOT NULL,
  workflow_snapshot   TEXT    NOT NULL,
  task_name           TEXT    NOT NULL,
  date_param          TEXT,
  status              TEXT    NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending', 'queued', 'running', 'pausing', 'paused', 'cancelling', 'cancelled', 'success', 'failed')),
  status_reason       TEXT,
  progress_percentage REAL    NOT NULL DEFAULT 0,
  current_step        TEXT,
  resume_from_step    TEXT,
  error_message       TEXT,
  last_seq            INTEGER NOT NULL DEFAULT 0,
  heartbeat_at        TEXT,
  queued_at           TEXT,
  created_at          TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at          TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  started_at          TEXT,
  completed_at        TEXT
);
INSERT INTO new_tasks (id, user_id, workflow_id, workflow_name, workflow_snapshot, task_name, date_param, status,
  status_reason, progress_percentage, current_step, resume_from_step, error_message, last_seq, heartbeat_at,
  queued_at, created_at, updated_at, started_at, completed_at)
SELECT id, user_id, workflow_id, workflow_name, workflow_snapshot, task_name, date_param, status,
  status_reason, progress_percentage, current_step, resume_from_step, error_message, last_seq, heartbeat_at,
  queued_at, created_at, updated_at, started_at, completed_at FROM tasks;
DELETE FROM sqlite_sequence WHERE name = 'new_tasks';
INSERT INTO sqlite_sequence (name, seq) SELECT 'new_tasks', seq FROM sqlite_sequence WHERE name = 'tasks';
DROP TABLE tasks;
ALTER TABLE new_tasks RENAME TO tasks;
CREATE INDEX idx_tasks_user_created ON tasks (user_id, created_at);
CREATE INDEX idx_tasks_status ON tasks (status, queued_at);
CREATE INDEX idx_tasks_workflow_name ON tasks (workflow_name, created_at);
CREATE INDEX idx_tasks_created ON tasks (created_at);

CREATE TABLE new_task_executions (
  id                INTEGER PRIMARY KEY AUTOINCREMENT,
  task_id           INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  step_name         TEXT    NOT NULL,
  step_display_name TEXT    NOT NULL,
  step_type         TEXT    NOT NULL,
  step_order        INTEGER NOT NULL,
  status            TEXT    NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending', 'running', 'success', 'failed', 'timeout', 'cancelled', 'skipped', 'interrupted')),
  attempt           INTEGER NOT NULL DEFAULT 1,
  retry_count       INTEGER NOT NULL DEFAULT 0,
  start_time        TEXT,
  end_time          TEXT,
  duration_seconds  REAL,
  output_summary    TEXT,
  error_details     TEXT,
  progress_state    TEXT,
  remote_handle     TEXT,
  heartbeat_at      TEXT
);
INSERT INTO new_task_executions (id, task_id, step_name, step_display_name, step_type, step_order, status, attempt,
  retry_count, start_time, end_time, duration_seconds, output_summary, error_details, progress_state, remote_handle,
  heartbeat_at)
SELECT id, task_id, step_name, step_display_name, step_type, step_order, status, attempt,
  retry_count, start_time, end_time, duration_seconds, output_summary, error_details, progress_state, remote_handle,
  heartbeat_at FROM task_executions;
DELETE FROM sqlite_sequence WHERE name = 'new_task_executions';
INSERT INTO sqlite_sequence (name, seq) SELECT 'new_task_executions', seq FROM sqlite_sequence WHERE name = 'task_executions';
DROP TABLE task_executions;
ALTER TABLE new_task_executions RENAME TO task_executions;
CREATE INDEX idx_executions_task ON task_executions (task_id, step_order, attempt);
CREATE INDEX idx_executions_status ON task_executions (status);

CREATE TABLE new_task_logs (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  task_id      INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  execution_id INTEGER REFERENCES task_executions (id) ON DELETE SET NULL,
  seq          INTEGER NOT NULL,
  level        TEXT    NOT NULL CHECK (level IN ('debug', 'info', 'warning', 'error')),
  message      TEXT    NOT NULL,
  source       TEXT,
  timestamp    TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
INSERT INTO new_task_logs (id, task_id, execution_id, seq, level, message, source, timestamp)
SELECT id, task_id, execution_id, seq, level, message, source, timestamp FROM task_logs;
DELETE FROM sqlite_sequence WHERE name = 'new_task_logs';
INSERT INTO sqlite_sequence (name, seq) SELECT 'new_task_logs', seq FROM sqlite_sequence WHERE name = 'task_logs';
DROP TABLE task_logs;
ALTER TABLE new_task_logs RENAME TO task_logs;
CREATE UNIQUE INDEX idx_logs_task_seq ON task_logs (task_id, seq);
CREATE INDEX idx_logs_task_level ON task_logs (task_id, level, seq);
CREATE INDEX idx_logs_level ON task_logs (level, id);

CREATE TABLE new_task_events (
  task_id    INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  seq        INTEGER NOT NULL,
  type       TEXT    NOT NULL
    CHECK (type IN ('task.status', 'task.progress', 'step.started', 'step.finished', 'step.retry', 'step.output')),
  payload    TEXT    NOT NULL,
  created_at TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  PRIMARY KEY (task_id, seq)
);
INSERT INTO new_task_events (task_id, seq, type, payload, created_at)
SELECT task_id, seq, type, payload, created_at FROM task_events;
DROP TABLE task_events;
ALTER TABLE new_task_events RENAME TO task_events;
`,
}
