import { once } from 'node:events'
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Webhook } from 'standardwebhooks'


interface Teardown { teardown(fn: () => unknown): void }

async function bodyOf(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

async function listen(t: Teardown, handler: (req: IncomingMessage, body: string) => { status: number; body: string }) {
  const server = createServer((req, res) => {
    void bodyOf(req).then((body) => {
      const answer = handler(req, body)
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body)
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()) }))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

export interface RobotMessage { at: number; key: string | null; bytes: number; body: { msgtype?: string; markdown?: { content?: string } } }

/**
 * A WeCom group robot as its documentation describes it: POST /cgi-bin/webhook/send?key=…, a JSON body of
 * msgtype markdown, content at most 4096 bytes, at most 20 messages a minute (errcode 45009 beyond); answers
 * errcode 0. `at` is read from the test's clock, so the minute is the test's minute.
 */
export async function robotStandIn(t: Teardown, now: () => number, options: { failNext?: number } = {}) {
  const messages: RobotMessage[] = []
  let failNext = options.failNext ?? 0
  const url = await listen(t, (req, raw) => {
    const at = now()
    const address = new URL(req.url ?? '/', 'http://robot')
    const body = JSON.parse(raw) as RobotMessage['body']
    messages.push({ at, key: address.searchParams.get('key'), bytes: Buffer.byteLength(body.markdown?.content ?? ''), body })
    if (failNext > 0) {
      failNext--
      return { status: 500, body: '{}' }
    }
    const lastMinute = messages.filter((m) => m.at > at - 60_000).length
    if (lastMinute > 20) return { status: 200, body: JSON.stringify({ errcode: 45009, errmsg: 'api freq out of limit' }) }
    const content = body.markdown?.content ?? ''
    if (body.msgtype !== 'markdown' || Buffer.byteLength(content) > 4096) {
      return { status: 200, body: JSON.stringify({ errcode: 40058, errmsg: 'invalid markdown' }) }
    }
    return { status: 200, body: JSON.stringify({ errcode: 0, errmsg: 'ok' }) }
  })
  return { url: `${url}/cgi-bin/webhook/send`, messages }
}

export interface ReceivedHook { path: string; id: string; verified: boolean; status: number; payload: { type?: string; data?: Record<string, unknown> } | null }

/**
 * A webhook receiver that verifies each request with the standardwebhooks package (signature and timestamp
 * tolerance) and answers `mode()`: 200, or 503 to make the sender retry.
 */
export async function webhookReceiver(t: Teardown, secret: string, mode: () => 'up' | 'down') {
  const received: ReceivedHook[] = []
  const verifier = new Webhook(secret)
  const url = await listen(t, (req, raw) => {
    const headers = Object.fromEntries(['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((h) => [h, String(req.headers[h] ?? '')]))
    let payload: ReceivedHook['payload'] = null
    let verified = true
    try {
      payload = verifier.verify(raw, headers) as ReceivedHook['payload']
    } catch {
      verified = false
    }
    const status = !verified ? 401 : mode() === 'up' ? 200 : 503
    received.push({ path: req.url ?? '/', id: headers['webhook-id']!, verified, status, payload })
    return { status, body: '{}' }
  })
  return {
    url, received,
    /** The ids that were taken (200), each as often as it was. */
    accepted: () => received.filter((r) => r.status === 200).map((r) => r.id),
  }
}

/** A fresh Standard Webhooks secret. */
export const webhookSecret = () => `whsec_${Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64')}`

/** A bounded poll (every 25 ms, at most `timeoutMs`) for a state reached in the background. */
export async function eventually<T>(what: string, probe: () => Promise<T | null | undefined | false> | T | null | undefined | false,
  timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const value = await probe()
    if (value) return value
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  throw new Error(`timed out waiting for ${what}`)
}
