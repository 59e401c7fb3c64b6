-- Topup database schema (SQLite): the complete DDL as the migrations leave it, to read. The program does not run
-- this file: src/db/migrations/ build and upgrade the database at start-up. test/db/schema-drift.test.ts checks
-- that running every migration gives exactly this schema, that src/db/tables.ts describes the same columns for
-- Kysely, and that each CHECK list equals its list in src/domain.ts. A change here needs a new migration.
-- Timestamps are ISO-8601 UTC text with milliseconds, so they sort as text.

CREATE TABLE schema_meta (
  key   TEXT NOT NULL PRIMARY KEY,
  value TEXT NOT NULL
);

-- One row per distinct definition of a workflow (name + content hash): a task points at the exact
-- definition it was created with, so older rows stay while tasks use them.
CREATE TABLE workflows (
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
CREATE INDEX idx_workflows_name_active ON workflows (name, is_active);

CREATE TABLE workflow_steps (
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

CREATE TABLE tasks (
  id                  INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id             TEXT    NOT NULL,
  workflow_id         INTEGER NOT NULL REFERENCES workflows (id),
  workflow_name       TEXT    NOT NULL,
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
  completed_at        TEXT,
  -- the workflow's `concurrency` as rendered at creation: at most concurrency_limit started, unfinished tasks
  -- per key (NULL: no such setting)
  concurrency_key     TEXT,
  concurrency_limit   INTEGER,
  -- who or what made the task: the signed-in user's id, or schedule:<name> (NULL: made before this was recorded)
  created_by          TEXT
);
CREATE INDEX idx_tasks_user_created ON tasks (user_id, created_at);
CREATE INDEX idx_tasks_status ON tasks (status, queued_at);
CREATE INDEX idx_tasks_workflow_name ON tasks (workflow_name, created_at);
CREATE INDEX idx_tasks_created ON tasks (created_at);
CREATE INDEX idx_tasks_concurrency ON tasks (concurrency_key, status) WHERE concurrency_key IS NOT NULL;

-- The workflow a task runs, as it was when the task was created (its definition's exact JSON). Apart from the
-- task's row, which changes at every step: a change of the row's size would rewrite all of it, and a read of a
-- column after it would walk its pages.
CREATE TABLE task_snapshots (
  task_id           INTEGER NOT NULL PRIMARY KEY REFERENCES tasks (id) ON DELETE CASCADE,
  workflow_snapshot TEXT    NOT NULL
);

-- One row per attempt of a step.
CREATE TABLE task_executions (
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
CREATE INDEX idx_executions_task ON task_executions (task_id, step_order, attempt);
CREATE INDEX idx_executions_status ON task_executions (status);
CREATE INDEX idx_executions_step ON task_executions (task_id, step_name);

-- output_type: value (a captured string) | file (a remote path) | artifact (a file kept under data/artifacts)
CREATE TABLE step_outputs (
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
CREATE INDEX idx_outputs_execution ON step_outputs (execution_id);
CREATE INDEX idx_outputs_task ON step_outputs (task_id, output_type);

-- Log lines share the task's event sequence (seq), so a replay interleaves them with other events.
CREATE TABLE task_logs (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  task_id      INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  execution_id INTEGER REFERENCES task_executions (id) ON DELETE SET NULL,
  seq          INTEGER NOT NULL,
  level        TEXT    NOT NULL CHECK (level IN ('debug', 'info', 'warning', 'error')),
  message      TEXT    NOT NULL,
  source       TEXT,
  timestamp    TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE UNIQUE INDEX idx_logs_task_seq ON task_logs (task_id, seq);
CREATE INDEX idx_logs_task_level ON task_logs (task_id, level, seq);
CREATE INDEX idx_logs_level ON task_logs (level, id);

-- Every other task event (status, step, progress, output), payload as JSON.
CREATE TABLE task_events (
  task_id    INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  seq        INTEGER NOT NULL,
  type       TEXT    NOT NULL
    CHECK (type IN ('task.status', 'task.progress', 'step.started', 'step.finished', 'step.retry', 'step.output',
      'job.state')),
  payload    TEXT    NOT NULL,
  created_at TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  PRIMARY KEY (task_id, seq)
);
-- The lifecycle actions (a status change someone asked for, with who: GET /api/audit), newest first.
CREATE INDEX idx_events_actions ON task_events (created_at)
  WHERE type = 'task.status' AND json_extract(payload, '$.action') IS NOT NULL;
-- The notifier reads the status and job events written after a point in time. Partial, like the actions' index,
-- so that neither stands in for the other: SQLite uses one only for a query that repeats its WHERE.
CREATE INDEX idx_events_notified ON task_events (created_at) WHERE type IN ('task.status', 'job.state');

-- Cluster jobs a task's steps submitted, one row per job id, recorded in the transaction of the log line that
-- revealed the id. finished_at is set once the state is final (completed, failed, removed, lost).
CREATE TABLE remote_jobs (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  task_id        INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  execution_id   INTEGER NOT NULL REFERENCES task_executions (id) ON DELETE CASCADE,
  step_name      TEXT    NOT NULL,
  host           TEXT    NOT NULL,
  system         TEXT    NOT NULL CHECK (system IN ('hepjob', 'htcondor', 'slurm')),
  tools          TEXT    NOT NULL,
  job_id         TEXT    NOT NULL,
  state          TEXT    NOT NULL DEFAULT 'queued'
    CHECK (state IN ('queued', 'running', 'held', 'suspended', 'completed', 'failed', 'removed', 'lost')),
  reason         TEXT,
  exit_code      INTEGER,
  signal         INTEGER,
  hold_on_pause  INTEGER NOT NULL DEFAULT 1,
  hold_requested INTEGER NOT NULL DEFAULT 0,
  submitted_at   TEXT    NOT NULL,
  state_since    TEXT    NOT NULL,
  last_seen_at   TEXT,
  finished_at    TEXT,
  UNIQUE (task_id, host, system, job_id)
);
CREATE INDEX idx_remote_jobs_unfinished ON remote_jobs (host, system, tools) WHERE finished_at IS NULL;
CREATE INDEX idx_remote_jobs_execution ON remote_jobs (execution_id);

CREATE TABLE task_parameters (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  task_id     INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  param_name  TEXT    NOT NULL,
  param_value TEXT    NOT NULL,
  param_type  TEXT    NOT NULL,
  UNIQUE (task_id, param_name)
);

-- Each firing of a schedule (SCHEDULES_FILE), once: the UNIQUE pair is what keeps a restart or a catch-up from
-- making a firing's task twice.
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

-- Host keys pinned on first use (KNOWN_HOSTS_POLICY=accept-new).
CREATE TABLE host_keys (
  hostname    TEXT    NOT NULL,
  port        INTEGER NOT NULL,
  key_type    TEXT    NOT NULL,
  key_base64  TEXT    NOT NULL,
  fingerprint TEXT    NOT NULL,
  first_seen  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  PRIMARY KEY (hostname, port)
);

-- Bearer tokens withdrawn before their expiry (npm run token -- --revoke <jti>), by their jti; expires_at is the
-- token's own expiry when known (after it the row no longer matters).
CREATE TABLE revoked_tokens (
  jti        TEXT NOT NULL PRIMARY KEY,
  expires_at TEXT,
  revoked_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- Each user's notification choices (src/notify/preferences.ts), as JSON: triggers, language, channels, scope.
CREATE TABLE user_preferences (
  user_id                  TEXT NOT NULL PRIMARY KEY,
  notification_preferences TEXT NOT NULL,
  updated_at               TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- Every notification, once per event and channel (idempotency_key: task:<id>:<seq>:<channel>), kept until sent or
-- given up: at-least-once across restarts. recipients: the users it is for (JSON); payload: the rendered message.
CREATE TABLE notification_outbox (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  idempotency_key TEXT    NOT NULL UNIQUE,
  channel         TEXT    NOT NULL,
  trigger         TEXT    NOT NULL CHECK (trigger IN ('review', 'failed', 'succeeded', 'job_held')),
  task_id         INTEGER REFERENCES tasks (id) ON DELETE CASCADE,
  user_id         TEXT,
  recipients      TEXT    NOT NULL,
  payload         TEXT    NOT NULL,
  status          TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT    NOT NULL,
  last_error      TEXT,
  created_at      TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  sent_at         TEXT
);
CREATE INDEX idx_outbox_due ON notification_outbox (status, next_attempt_at);
CREATE INDEX idx_outbox_channel_sent ON notification_outbox (channel, sent_at);
CREATE INDEX idx_outbox_user ON notification_outbox (user_id, id);
