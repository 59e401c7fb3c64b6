import type { Migration } from './migration.js'

/**
 * Notifications: each user's choices (which triggers, language, channels), and the outbox every message goes
 * through. A message is written once per event and channel (the UNIQUE idempotency key: a second look at the same
 * event after a restart adds nothing) and stays until sent or given up, so a restart loses none. The index on
 * task_events lets the notifier read the status and job events after its cursor without a full scan.
 */
export const notifications: Migration = {
  name: '0008-notifications',
  sql: `
CREATE TABLE user_preferences (
  user_id                  TEXT NOT NULL PRIMARY KEY,
  notification_preferences TEXT NOT NULL,
  updated_at               TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
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
CREATE INDEX idx_events_notified ON task_events (created_at) WHERE type IN ('task.status', 'job.state');
`,
}
