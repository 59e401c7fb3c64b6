import type { Channel, Language } from './channel-file.js'
import type { NotifyFact } from './fact.js'
import type { NotificationPreferences } from './preferences.js'

/** Who one channel's message is for, and so in which languages it is written. */
export interface ChannelAudience {
  channel: Channel
  /** The users whose choices sent it here (empty when only the channel's own subscription did). */
  users: string[]
  languages: Language[]
}

/**
 * The channels a fact goes to: those of every user who asked for its trigger about this task (their own, or any
 * task for an admin who chose scope "all"), and those that subscribed to it in NOTIFY_FILE. One message per
 * channel, in each language its recipients chose (Chinese first), so a group robot is never told twice.
 */
export function audiences(fact: NotifyFact, channels: readonly Channel[],
  preferences: readonly { user_id: string; preferences: NotificationPreferences }[]): ChannelAudience[] {
  const byName = new Map(channels.map((c) => [c.name, c]))
  const found = new Map<string, { channel: Channel; users: Set<string>; languages: Set<Language> }>()
  const add = (channel: Channel, language: Language, user?: string) => {
    const entry = found.get(channel.name) ?? { channel, users: new Set<string>(), languages: new Set<Language>() }
    found.set(channel.name, entry)
    entry.languages.add(language)
    if (user !== undefined) entry.users.add(user)
  }
  for (const { user_id, preferences: p } of preferences) {
    if (!p.triggers.includes(fact.trigger)) continue
    if (user_id !== fact.task.user_id && p.scope !== 'all') continue
    for (const name of p.channels) {
      const channel = byName.get(name)
      if (channel) add(channel, p.language, user_id)
    }
  }
  for (const channel of channels) {
    if (channel.triggers?.includes(fact.trigger)) add(channel, channel.language ?? 'zh')
  }
  return [...found.values()].map((e) => ({
    channel: e.channel, users: [...e.users].sort(),
    languages: (['zh', 'en'] as const).filter((l) => e.languages.has(l)),
  }))
}
