import { Webhook } from 'standardwebhooks'
import type { WebhookChannel } from './channel-file.js'

/**
 * One POST signed the Standard Webhooks way: `webhook-id` (the delivery's idempotency key, the same on every
 * retry, so a receiver drops repeats), `webhook-timestamp` (seconds; a receiver rejects old ones, so a recorded
 * request cannot be replayed later) and `webhook-signature` (v1, HMAC-SHA256 of id.timestamp.body). Any 2xx
 * answer is success.
 */
export async function sendWebhook(channel: WebhookChannel, id: string, body: string, now: Date, signal: AbortSignal): Promise<void> {
  const signature = new Webhook(channel.secret).sign(id, now, body)
  const res = await fetch(channel.url, {
    method: 'POST', signal, body,
    headers: {
      'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': signature,
    },
  })
  await res.arrayBuffer().catch(() => undefined)
  if (res.status < 200 || res.status > 299) throw new Error(`HTTP ${res.status}`)
}
