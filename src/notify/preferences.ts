import { Type, type Static } from 'typebox'
import { Value } from 'typebox/value'
import { NotifyTrigger, notifyTriggers } from '../domain.js'
import { Language } from './channel-file.js'

export const notifyScopes = ['own', 'all'] as const

/** One user's notification choices (user_preferences.notification_preferences). */
export const NotificationPreferencesSchema = Type.Object({
  triggers: Type.Array(NotifyTrigger, { uniqueItems: true, maxItems: notifyTriggers.length, default: ['review', 'failed'],
    description: 'what to be told about' }),
  language: Type.Union([Language], { default: 'zh' }),
  channels: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { uniqueItems: true, maxItems: 20, default: [],
    description: 'channels of NOTIFY_FILE to send to (GET /api/notifications/channels); none: no notifications' }),
  scope: Type.Enum(notifyScopes, { default: 'own', description: 'own: my tasks; all: every task (admins only)' }),
}, { additionalProperties: false })
export type NotificationPreferences = Static<typeof NotificationPreferencesSchema>

export const defaultPreferences = (): NotificationPreferences => Value.Default(NotificationPreferencesSchema, {}) as NotificationPreferences

/** The stored JSON read back; a row that no longer fits (hand-edited) counts as no choice at all. */
export function parsePreferences(json: string | null | undefined): NotificationPreferences {
  if (!json) return defaultPreferences()
  try {
    const value = Value.Default(NotificationPreferencesSchema, JSON.parse(json))
    return Value.Check(NotificationPreferencesSchema, value) ? value : defaultPreferences()
  } catch {
    return defaultPreferences()
  }
}
