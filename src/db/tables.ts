import type { Generated, Insertable, Selectable, Updateable } from 'kysely'
import {
  batchSystems, deliveryStatuses, executionStatuses, jobStates, logLevels, notifyTriggers, scheduleOutcomes, taskEventTypes, taskStatuses, type TaskEventType,
} from '../domain.js'

/** What task_events holds: every event type but `log`, whose lines live in task_logs. */
export type StoredEventType = Exclude<TaskEventType, 'log'>
export const storedEventTypes = taskEventTypes.filter((type): type is StoredEventType => type !== 'log')

/**
 * The enum kinds a text column may have, each a list from src/domain.ts. schema.sql gives such a column a
 * `CHECK (column IN (...))` with the same values; the schema-drift test holds the two equal.
 */
export const enums = {
  taskStatus: taskStatuses,
  executionStatus: executionStatuses,
  logLevel: logLevels,
  storedEventType: storedEventTypes,
  jobState: jobStates,
  batchSystem: batchSystems,
  scheduleOutcome: scheduleOutcomes,
  notifyTrigger: notifyTriggers,
  deliveryStatus: deliveryStatuses,
} as const
export type EnumKind = keyof typeof enums

/**
 * The columns of schema.sql, once, as data: the Kysely types below are derived from it and the
 * schema-drift test compares it with what SQLite reports, so the two cannot silently disagree.
 * Kinds: `id` autoincrement key; `int`/`real`/`text` NOT NULL; an enum kind (above) is NOT NULL text typed as
 * its union; a `?` suffix is nullable; a `=` suffix is NOT NULL with a default (optional on insert).
 */
export const tables = {
  schema_meta: { key: 'text', value: 'text' },
  workflows: {
    id: 'id', name: 'text', display_name: 'text', description: 'text?', version: 'text',
    definition: 'text', definition_hash: 'text', source_file: 'text?', is_active: 'int=',
    created_at: 'text=', updated_at: 'text=',
  },
  workflow_steps: {
    id: 'id', workflow_id: 'int', step_id: 'text', step_order: 'int', display_name: 'text',
    step_type: 'text', host: 'text?', config: 'text',
  },
  tasks: {
    id: 'id', user_id: 'text', workflow_id: 'int', workflow_name: 'text',
    task_name: 'text', date_param: 'text?', status: 'taskStatus=', status_reason: 'text?',
    progress_percentage: 'real=', current_step: 'text?', resume_from_step: 'text?',
    error_message: 'text?', last_seq: 'int=', heartbeat_at: 'text?', queued_at: 'text?',
    created_at: 'text=', updated_at: 'text=', started_at: 'text?', completed_at: 'text?',
    concurrency_key: 'text?', concurrency_limit: 'int?', created_by: 'text?',
  },
  task_snapshots: { task_id: 'int', workflow_snapshot: 'text' },
  task_executions: {
    id: 'id', task_id: 'int', step_name: 'text', step_display_name: 'text', step_type: 'text',
    step_order: 'int', status: 'executionStatus=', attempt: 'int=', retry_count: 'int=', start_time: 'text?',
    end_time: 'text?', duration_seconds: 'real?', output_summary: 'text?', error_details: 'text?',
    progress_state: 'text?', remote_handle: 'text?', heartbeat_at: 'text?',
  },
  step_outputs: {
    id: 'id', execution_id: 'int', task_id: 'int', output_name: 'text', output_type: 'text',
    output_value: 'text?', output_path: 'text?', file_size_bytes: 'int?', file_hash: 'text?',
    content_type: 'text?', metadata: 'text?', created_at: 'text=',
  },
  task_logs: {
    id: 'id', task_id: 'int', execution_id: 'int?', seq: 'int', level: 'logLevel', message: 'text',
    source: 'text?', timestamp: 'text=',
  },
  task_events: { task_id: 'int', seq: 'int', type: 'storedEventType', payload: 'text', created_at: 'text=' },
  remote_jobs: {
    id: 'id', task_id: 'int', execution_id: 'int', step_name: 'text', host: 'text', system: 'batchSystem',
    tools: 'text', job_id: 'text', state: 'jobState=', reason: 'text?', exit_code: 'int?', signal: 'int?',
    hold_on_pause: 'int=', hold_requested: 'int=', submitted_at: 'text', state_since: 'text',
    last_seen_at: 'text?', finished_at: 'text?',
  },
  task_parameters: { id: 'id', task_id: 'int', param_name: 'text', param_value: 'text', param_type: 'text' },
  schedule_runs: {
    id: 'id', schedule: 'text', fire_time: 'text', outcome: 'scheduleOutcome', task_id: 'int?', message: 'text?',
    created_at: 'text=',
  },
  host_keys: {
    hostname: 'text', port: 'int', key_type: 'text', key_base64: 'text', fingerprint: 'text',
    first_seen: 'text=',
  },
  revoked_tokens: { jti: 'text', expires_at: 'text?', revoked_at: 'text=' },
  user_preferences: { user_id: 'text', notification_preferences: 'text', updated_at: 'text=' },
  notification_outbox: {
    id: 'id', idempotency_key: 'text', channel: 'text', trigger: 'notifyTrigger', task_id: 'int?', user_id: 'text?',
    recipients: 'text', payload: 'text', status: 'deliveryStatus=', attempts: 'int=', next_attempt_at: 'text',
    last_error: 'text?', created_at: 'text=', sent_at: 'text?',
  },
} as const

export type ColumnKind = 'id' | `${'int' | 'real' | 'text' | EnumKind}${'' | '?' | '='}`

type Base<K> = K extends `${infer B}?` | `${infer B}=` ? B : K
type Scalar<B> = B extends EnumKind ? (typeof enums)[B][number] : B extends 'text' ? string : number
type ColumnOf<K> = K extends 'id' ? Generated<number>
  : K extends `${string}?` ? Scalar<Base<K>> | null
  : K extends `${string}=` ? Generated<Scalar<Base<K>>>
  : Scalar<Base<K>>

type Tables = typeof tables
export type Database = { [T in keyof Tables]: { -readonly [C in keyof Tables[T]]: ColumnOf<Tables[T][C]> } }

export type TaskRow = Selectable<Database['tasks']>
/** A task with the workflow it runs (task_snapshots.workflow_snapshot), as the engine reads it to run or resume it. */
export type TaskWithSnapshot = TaskRow & { workflow_snapshot: string }
export type NewTask = Insertable<Database['tasks']> & { workflow_snapshot: string }
export type TaskUpdate = Updateable<Database['tasks']>
export type WorkflowRow = Selectable<Database['workflows']>
export type ExecutionRow = Selectable<Database['task_executions']>
export type StepOutputRow = Selectable<Database['step_outputs']>
export type TaskLogRow = Selectable<Database['task_logs']>
export type JobRow = Selectable<Database['remote_jobs']>
export type NewJob = Insertable<Database['remote_jobs']>
export type TaskParameterRow = Selectable<Database['task_parameters']>
export type ScheduleRunRow = Selectable<Database['schedule_runs']>
export type OutboxRow = Selectable<Database['notification_outbox']>
