import type { Migration } from './migration.js'

/**
 * The schema of the first release (commit ec4a3e6), verbatim: the statements its schema.sql ran at every start.
 * A database that release made records schema_version 1 and so never runs this again; `IF NOT EXISTS` is kept
 * because it is exactly what that release ran. Never edit it: a later change is a new migration.
 */
export const initial: Migration = {
  name: '0001-initial',
  sql: `
CREATE TABLE IF NOT EXISTS schema_meta (
  key   TEXT NOT NULL PRIMARY KEY,
  value TEXT NOT NULL
);

-- One row per distinct definition of a workflow (name + content hash): a task points at the exact
-- definition it was created with, so older rows stay while tasks use them.
CREATE TABLE IF NOT EXISTS workflows (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  name            TEXT    NOT NULL,
  display_name    TEXT    NOT NULL,
  description     TEXT,
  version         TEXT    NOT NULL,
  definition      TEXT    NOT NULL,
  definition_hash TEXT    NOT NULL,
  source_file     TEXT,
  is_active       INTEGER NOT NULL DEFAULT 1,
  created_at      TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at      TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  UNIQUE (name, definition_hash)
);
CREATE INDEX IF NOT EXISTS idx_workflows_name_active ON workflows (name, is_active);

CREATE TABLE IF NOT EXISTS workflow_steps (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  workflow_id  INTEGER NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
  step_id      TEXT    NOT NULL,
  step_order   INTEGER NOT NULL,
  display_name TEXT    NOT NULL,
  step_type    TEXT    NOT NULL,
  host         TEXT,
  config       TEXT    NOT NULL,
  UNIQUE (workflow_id, step_id)
);

-- status: pending queued running pausing paused cancelling cancelled success failed
CREATE TABLE IF NOT EXISTS tasks (
  id                  INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id             TEXT    NOT NULL,
  workflow_id         INTEGER NOT NULL REFERENCES workflows (id),
  workflow_name       TEXT    NOT NULL,
  workflow_snapshot   TEXT    NOT NULL,
  task_name           TEXT    NOT NULL,
  date_param          TEXT,
  status              TEXT    NOT NULL DEFAULT 'pending',
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
CREATE INDEX IF NOT EXISTS idx_tasks_user_created ON tasks (user_id, created_at);
CREATE INDEX IF NOT EXISTS idx_tasks_status ON tasks (status, queued_at);
CREATE INDEX IF NOT EXISTS idx_tasks_workflow_name ON tasks (workflow_name, created_at);
CREATE INDEX IF NOT EXISTS idx_tasks_created ON tasks (created_at);

-- One row per attempt of a step. status: pending running success failed timeout cancelled skipped interrupted
CREATE TABLE IF NOT EXISTS task_executions (
  id                INTEGER PRIMARY KEY AUTOINCREMENT,
  task_id           INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  step_name         TEXT    NOT NULL,
  step_display_name TEXT    NOT NULL,
  step_type         TEXT    NOT NULL,
  step_order        INTEGER NOT NULL,
  status            TEXT    NOT NULL DEFAULT 'pending',
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
CREATE INDEX IF NOT EXISTS idx_executions_task ON task_executions (task_id, step_order, attempt);
CREATE INDEX IF NOT EXISTS idx_executions_status ON task_executions (status);

-- output_type: value (a captured string) | file (a remote path) | artifact (a file kept under data/artifacts)
CREATE TABLE IF NOT EXISTS step_outputs (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  execution_id    INTEGER NOT NULL REFERENCES task_executions (id) ON DELETE CASCADE,
  task_id         INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  output_name     TEXT    NOT NULL,
  output_type     TEXT    NOT NULL,
  output_value    TEXT,
  output_path     TEXT,
  file_size_bytes INTEGER,
  file_hash       TEXT,
  content_type    TEXT,
  metadata        TEXT,
  created_at      TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX IF NOT EXISTS idx_outputs_execution ON step_outputs (execution_id);
CREATE INDEX IF NOT EXISTS idx_outputs_task ON step_outputs (task_id, output_type);

-- Log lines share the task's event sequence (seq), so a replay interleaves them with other events.
CREATE TABLE IF NOT EXISTS task_logs (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  task_id      INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  execution_id INTEGER REFERENCES task_executions (id) ON DELETE SET NULL,
  seq          INTEGER NOT NULL,
  level        TEXT    NOT NULL,
  message      TEXT    NOT NULL,
  source       TEXT,
  timestamp    TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE UNIQUE INDEX IF NOT EXISTS idx_logs_task_seq ON task_logs (task_id, seq);
CREATE INDEX IF NOT EXISTS idx_logs_task_level ON task_logs (task_id, level, seq);
CREATE INDEX IF NOT EXISTS idx_logs_level ON task_logs (level, id);

-- Every other task event (status, step, progress, output), payload as JSON.
CREATE TABLE IF NOT EXISTS task_events (
  task_id    INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  seq        INTEGER NOT NULL,
  type       TEXT    NOT NULL,
  payload    TEXT    NOT NULL,
  created_at TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  PRIMARY KEY (task_id, seq)
);

CREATE TABLE IF NOT EXISTS task_parameters (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  task_id     INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  param_name  TEXT    NOT NULL,
  param_value TEXT    NOT NULL,
  param_type  TEXT    NOT NULL,
  UNIQUE (task_id, param_name)
);

-- Cluster jobs a step submitted, so that cancel and recovery can find them.
CREATE TABLE IF NOT EXISTS remote_jobs (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  task_id      INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  execution_id INTEGER NOT NULL REFERENCES task_executions (id) ON DELETE CASCADE,
  host         TEXT    NOT NULL,
  batch_system TEXT    NOT NULL,
  job_id       TEXT    NOT NULL,
  state        TEXT    NOT NULL DEFAULT 'submitted',
  created_at   TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at   TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX IF NOT EXISTS idx_remote_jobs_task ON remote_jobs (task_id, state);

-- Host keys pinned on first use (KNOWN_HOSTS_POLICY=accept-new).
CREATE TABLE IF NOT EXISTS host_keys (
  hostname    TEXT    NOT NULL,
  port        INTEGER NOT NULL,
  key_type    TEXT    NOT NULL,
  key_base64  TEXT    NOT NULL,
  fingerprint TEXT    NOT NULL,
  first_seen  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  PRIMARY KEY (hostname, port)
);

CREATE TABLE IF NOT EXISTS user_preferences (
  user_id                  TEXT NOT NULL PRIMARY KEY,
  default_workflow_id      INTEGER REFERENCES workflows (id) ON DELETE SET NULL,
  default_timeout          INTEGER,
  preferred_date           TEXT,
  notification_preferences TEXT,
  updated_at               TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
`,
}
