import type { WecomChannel } from './channel-file.js'
import type { Message } from './messages.js'

/** The robot refuses a markdown body above 4096 bytes (UTF-8). */
export const WECOM_MAX_BYTES = 4096
const SEPARATOR = '\n\n'
const ELLIPSIS = '…'

const colours = { review: 'warning', failed: 'warning', succeeded: 'info', job_held: 'comment' } as const

/** The robot's markdown subset: a heading, links on one line, then `> label: value` lines. */
export function wecomMarkdown(trigger: keyof typeof colours, messages: readonly Message[]): string {
  const parts = messages.map((m) => [
    `### <font color="${colours[trigger]}">${m.title}</font>`,
    m.links.map((l) => `[${l.label}](${l.url})`).join('  '),
    ...m.fields.map((f) => `> ${f.label}: ${oneLine(f.value)}`),
  ].join('\n'))
  return fitBytes(parts.join(SEPARATOR), WECOM_MAX_BYTES)
}

const oneLine = (text: string) => text.replace(/\s*\n\s*/g, ' ')

/** `text` cut to at most `max` UTF-8 bytes, on a character boundary, with … when cut. */
export function fitBytes(text: string, max: number): string {
  if (Buffer.byteLength(text) <= max) return text
  const room = max - Buffer.byteLength(ELLIPSIS)
  let bytes = 0
  let end = 0
  for (const char of text) {
    const size = Buffer.byteLength(char)
    if (bytes + size > room) break
    bytes += size
    end += char.length
  }
  return text.slice(0, end) + ELLIPSIS
}

/**
 * Bodies packed in order into as few messages as fit the size limit: a burst that queued behind the rate limit
 * goes out as a few long messages rather than many short ones. Each body fits alone (wecomMarkdown cut it).
 */
export function packBodies<T extends { body: string }>(items: readonly T[]): T[][] {
  const groups: T[][] = []
  let size = 0
  for (const item of items) {
    const bytes = Buffer.byteLength(item.body)
    const last = groups.at(-1)
    if (last && size + Buffer.byteLength(SEPARATOR) + bytes <= WECOM_MAX_BYTES) {
      last.push(item)
      size += Buffer.byteLength(SEPARATOR) + bytes
    } else {
      groups.push([item])
      size = bytes
    }
  }
  return groups
}

export const joinBodies = (items: readonly { body: string }[]) => items.map((i) => i.body).join(SEPARATOR)

/**
 * The robot answers 200 with `{"errcode":0}` when it took the message; any other answer is a failure to retry.
 * The key is in the query string only: an error names the status or the errcode, never the address.
 */
export async function sendWecom(channel: WecomChannel, content: string, signal: AbortSignal): Promise<void> {
  const url = new URL(channel.url)
  url.searchParams.set('key', channel.secret)
  const res = await fetch(url, {
    method: 'POST', signal, headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ msgtype: 'markdown', markdown: { content } }),
  })
  const text = await res.text()
  if (!res.ok) throw new Error(`HTTP ${res.status}`)
  let answer: { errcode?: unknown; errmsg?: unknown }
  try {
    answer = JSON.parse(text) as typeof answer
  } catch {
    throw new Error('the robot did not answer JSON')
  }
  if (answer.errcode !== 0) throw new Error(`errcode ${String(answer.errcode)}: ${String(answer.errmsg ?? '').slice(0, 200)}`)
}
