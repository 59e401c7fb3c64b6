import type { Migration } from './migration.js'

/**
 * Cluster jobs as rows of their own (remote_jobs), and `job.state` among the stored event types (task_events is
 * rebuilt for its CHECK, by the procedure 0002-enum-checks describes; its rows are copied as they are).
 *
 * A job row is written in the transaction of the log line that revealed its id, so a job is recorded exactly
 * once (the UNIQUE key makes a second record of the same id a no-op). `tools` is the folder of the batch tools
 * the job was submitted with: the poller needs it after a restart, when the workflow's variables are not at hand.
 * `hold_requested` marks a job this service held on a pause, the only ones a resume releases.
 * The value lists are written out as they were in src/domain.ts, on purpose (see 0002).
 */
export const remoteJobs: Migration = {
  name: '0003-remote-jobs',
  sql: `
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

CREATE TABLE new_task_events (
  task_id    INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  seq        INTEGER NOT NULL,
  type       TEXT    NOT NULL
    CHECK (type IN ('task.status', 'task.progress', 'step.started', 'step.finished', 'step.retry', 'step.output',
      'job.state')),
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
