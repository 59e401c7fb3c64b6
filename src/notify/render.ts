import type { Language } from './channel-file.js'
import { webhookTypes, type NotifyFact } from './fact.js'
import { describe, plainText } from './messages.js'
import type { ChannelAudience } from './recipients.js'
import { wecomMarkdown } from './wecom.js'

/**
 * The outbox payload of one channel's message, rendered once when the event is seen, so every retry sends the
 * same thing: the robot's markdown, or the webhook's JSON body (Standard Webhooks' type, timestamp and data;
 * data holds the facts and the text in each language).
 */
export function renderPayload(fact: NotifyFact, audience: ChannelAudience): string {
  const messages = audience.languages.map((l) => describe(fact, l))
  if (audience.channel.type === 'wecom') return JSON.stringify({ markdown: wecomMarkdown(fact.trigger, messages) })
  const text: Partial<Record<Language, string>> = {}
  audience.languages.forEach((language, i) => { text[language] = plainText(messages[i]!) })
  const { trigger: _, ...data } = fact
  return JSON.stringify({ type: webhookTypes[fact.trigger], timestamp: fact.at, data: { ...data, text } })
}
