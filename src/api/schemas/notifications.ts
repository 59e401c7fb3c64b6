import { Type } from 'typebox'
import { DeliveryStatus, NotifyTrigger } from '../../domain.js'
import { NotificationPreferencesSchema } from '../../notify/preferences.js'
import { Limit, Nullable, Offset, pageOf, Timestamp } from './common.js'

const examples = [{ triggers: ['review', 'failed'], language: 'zh', channels: ['cal-group'], scope: 'own' }]
export const PreferencesSchema = Type.Object(NotificationPreferencesSchema.properties, { additionalProperties: false, examples })

const { triggers, language, channels, scope } = NotificationPreferencesSchema.properties
/** The PUT body: every field may be left out (it takes its default), so a body replaces the whole choice. */
export const PreferencesBody = Type.Object({
  triggers: Type.Optional(triggers), language: Type.Optional(language), channels: Type.Optional(channels), scope: Type.Optional(scope),
}, { additionalProperties: false, examples })

export const ChannelListSchema = Type.Object({
  items: Type.Array(Type.Object({
    name: Type.String(),
    type: Type.Enum(['wecom', 'webhook'], { description: 'wecom: a WeCom group robot; webhook: a signed POST' }),
    triggers: Type.Array(NotifyTrigger, { description: 'what the channel gets of every task by itself (NOTIFY_FILE)' }),
  })),
})

export const DeliveryQuery = Type.Object({
  status: Type.Optional(DeliveryStatus),
  limit: Limit(50, 500),
  offset: Offset,
}, { additionalProperties: false })

export const DeliverySchema = Type.Object({
  id: Type.Integer(),
  idempotency_key: Type.String({ description: 'task:<id>:<seq>:<channel>; a webhook\'s webhook-id' }),
  channel: Type.String(),
  trigger: NotifyTrigger,
  task_id: Nullable(Type.Integer()),
  user_id: Nullable(Type.String({ description: 'whose task it is about' })),
  recipients: Type.Array(Type.String(), { description: 'the users whose choices sent it (none: the channel\'s own subscription)' }),
  status: DeliveryStatus,
  attempts: Type.Integer(),
  next_attempt_at: Timestamp,
  last_error: Nullable(Type.String({ description: 'why the latest attempt failed' })),
  created_at: Timestamp,
  sent_at: Nullable(Timestamp),
  message: Type.Unknown({ description: 'what was sent: { markdown } for a robot, the JSON body for a webhook' }),
})

export const DeliveryPageSchema = pageOf(DeliverySchema, 'notification deliveries, newest first')
