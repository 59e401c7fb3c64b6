import { Type } from 'typebox'
import { ExecutionStatus, LogLevel, logLevels } from '../../domain.js'
import { Limit, Nullable, Offset, Timestamp, pageOf } from './common.js'

/** Executions, step outputs and log lines. */
export const ExecutionSchema = Type.Object({
  id: Type.Integer(),
  task_id: Type.Integer(),
  step_name: Type.String(),
  step_display_name: Type.String(),
  step_type: Type.String(),
  step_order: Type.Integer(),
  status: ExecutionStatus,
  attempt: Type.Integer(),
  retry_count: Type.Integer(),
  start_time: Nullable(Timestamp),
  end_time: Nullable(Timestamp),
  duration_seconds: Nullable(Type.Number()),
  output_summary: Nullable(Type.String()),
  error_details: Nullable(Type.String()),
})
export const ExecutionListSchema = pageOf(ExecutionSchema, 'every attempt of every step, in step order')

export const OutputSchema = Type.Object({
  id: Type.Integer(),
  execution_id: Type.Integer(),
  task_id: Type.Integer(),
  output_name: Type.String(),
  output_type: Type.String({ description: 'value | file | artifact' }),
  value: Type.Unknown({ description: 'the recorded value: text, number, boolean or list' }),
  output_path: Nullable(Type.String()),
  file_size_bytes: Nullable(Type.Integer()),
  file_hash: Nullable(Type.String()),
  content_type: Nullable(Type.String()),
  created_at: Timestamp,
})
export const OutputListSchema = pageOf(OutputSchema, 'outputs of one execution')

const MinimumLevel = Type.Enum(logLevels, {
  description: 'minimum level: this level and more severe (debug < info < warning < error)',
})

export const LogSchema = Type.Object({
  id: Type.Integer(),
  task_id: Type.Integer(),
  execution_id: Nullable(Type.Integer()),
  seq: Type.Integer({ description: 'the task\'s event sequence number' }),
  level: LogLevel,
  message: Type.String(),
  source: Nullable(Type.String()),
  timestamp: Timestamp,
})

export const TaskLogQuery = Type.Object({
  level: Type.Optional(MinimumLevel),
  limit: Limit(100, 1000),
  offset: Offset,
  after: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'only lines with a larger seq' })),
})
export const TaskLogPageSchema = Type.Object({
  ...pageOf(LogSchema, '').properties,
  next_after: Type.Integer({ description: 'seq of the last line returned (or `after`): pass it as `after` next time' }),
}, { description: 'a task\'s log lines, oldest first' })

export const LogQuery = Type.Object({
  task_id: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })),
  level: Type.Optional(MinimumLevel),
  limit: Limit(100, 1000),
  offset: Offset,
})
export const LogPageSchema = pageOf(LogSchema, 'log lines across the caller\'s tasks, newest first')

export const ListQuery = Type.Object({ limit: Limit(500, 1000), offset: Offset })
