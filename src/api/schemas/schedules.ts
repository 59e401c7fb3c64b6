import { Type } from 'typebox'
import { ScheduleOutcome } from '../../domain.js'
import { ScheduleSchema } from '../../schedules/schedule-file.js'
import { Limit, Nullable, Offset, Timestamp } from './common.js'

export const ScheduleRunSchema = Type.Object({
  fire_time: Timestamp,
  outcome: ScheduleOutcome,
  task_id: Nullable(Type.Integer({ description: 'the task it made (created)' })),
  message: Nullable(Type.String({ description: 'why it skipped or failed' })),
  created_at: Timestamp,
})

export const ScheduleViewSchema = Type.Object({
  name: Type.String(),
  ...ScheduleSchema.properties,
  next_runs: Type.Array(Timestamp, { description: 'the next firing times (none when disabled)' }),
  recent_runs: Type.Array(ScheduleRunSchema, { description: 'the latest firings, newest first' }),
}, { additionalProperties: false })

export const ScheduleListSchema = Type.Object({ items: Type.Array(ScheduleViewSchema) })

export const ScheduleParams = Type.Object({ name: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false })
export const ScheduleRunsQuery = Type.Object({ limit: Limit(50, 1000), offset: Offset }, { additionalProperties: false })
export const ScheduleRunPageSchema = Type.Object({
  items: Type.Array(ScheduleRunSchema), total: Type.Integer(), limit: Type.Integer(), offset: Type.Integer(),
})
