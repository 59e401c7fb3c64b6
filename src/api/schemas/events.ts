import { Type, type Static } from 'typebox'
import { TaskEventType } from '../../domain.js'
import { Limit } from './common.js'

/** One task event as stored and pushed (src/domain.ts); `data` depends on `type`. */
export const TaskEventSchema = Type.Object({
  task_id: Type.Integer(),
  seq: Type.Integer({ description: 'strictly increasing per task' }),
  type: TaskEventType,
  at: Type.String({ description: 'ISO-8601 UTC' }),
  data: Type.Record(Type.String(), Type.Unknown()),
})

export const EventsQuerySchema = Type.Object({
  after: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, default: 0,
    description: 'only events with a larger seq (pass the `next_after` of the previous page)' }),
  limit: Limit(100, 1000),
})

export const EventsPageSchema = Type.Object({
  items: Type.Array(TaskEventSchema),
  next_after: Type.Integer({ description: 'pass as `after` to get the next page (the last seq returned, or `after`)' }),
})

/** Messages a WebSocket client sends on /api/ws. */
export const ClientMessageSchema = Type.Union([
  Type.Object({
    type: Type.Literal('subscribe'),
    task_id: Type.Integer({ minimum: 1 }),
    after_seq: Type.Optional(Type.Integer({ minimum: 0 })),
  }),
  Type.Object({ type: Type.Literal('unsubscribe'), task_id: Type.Integer({ minimum: 1 }) }),
  Type.Object({ type: Type.Literal('subscribe_tasks') }),
  Type.Object({ type: Type.Literal('unsubscribe_tasks') }),
  Type.Object({ type: Type.Literal('ping') }),
])
export type ClientMessage = Static<typeof ClientMessageSchema>
