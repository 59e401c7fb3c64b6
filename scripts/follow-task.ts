/**
 * Prints a task's events as they happen, one line each, from the start (or after --after N), and exits when the
 * task is finished (success, failed, cancelled) — with --until-paused also when it pauses.
 *   TOPUP_TOKEN=$(npm run -s token -- --user alice) npx tsx scripts/follow-task.ts <task id> [--after N] [--until-paused]
 * TOPUP_URL picks the server (default http://127.0.0.1:$PORT, PORT defaulting to 5000). Events come from the
 * WebSocket /api/ws (subscribe with after_seq); a dropped connection or a `resync` reconnects from the last seq
 * printed, so nothing is skipped or printed twice.
 */
import { parseArgs } from 'node:util'
import { setTimeout as delay } from 'node:timers/promises'
import { WebSocket } from 'ws'

interface TaskEvent { task_id: number; seq: number; type: string; at: string; data: Record<string, unknown> }

const FINAL = new Set(['success', 'failed', 'cancelled'])

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    after: { type: 'string', default: '0' },
    'until-paused': { type: 'boolean', default: false },
    interval: { type: 'string', default: '500' },
  },
})
const taskId = Number(positionals[0])
if (!Number.isInteger(taskId) || taskId < 1) fail('usage: follow-task.ts <task id> [--after N] [--until-paused]', 2)
const token = process.env.TOPUP_TOKEN
if (!token) fail('set TOPUP_TOKEN to a bearer token (npm run -s token -- --user <name>)', 2)
const base = (process.env.TOPUP_URL ?? `http://127.0.0.1:${process.env.PORT ?? 5000}`).replace(/\/+$/, '')
const intervalMs = Math.max(50, Number(values.interval))

let after = Number(values.after)
let failures = 0
for (;;) {
  const reason = await follow()
  failures++
  console.error(`(${reason}; reconnecting)`)
  await delay(Math.min(10_000, intervalMs * 2 ** Math.min(failures, 5)))
}

/** One connection: subscribe after the last seq printed; resolves (to reconnect) when it ends. */
function follow(): Promise<string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/api/ws`, ['topup.v1', `bearer.${token}`])
    ws.on('open', () => ws.send(JSON.stringify({ type: 'subscribe', task_id: taskId, after_seq: after })))
    ws.on('unexpected-response', (_req, res) => {
      let body = ''
      res.on('data', (chunk: Buffer) => { body += chunk.toString() })
      res.on('end', () => {
        const detail = (JSON.parse(body || '{}') as { detail?: string }).detail ?? res.statusMessage
        if ((res.statusCode ?? 500) < 500) fail(`HTTP ${res.statusCode}: ${detail}`, 1)
        resolve(`HTTP ${res.statusCode}: ${detail}`)
      })
    })
    ws.on('message', (data) => {
      const message = JSON.parse(data.toString()) as { type: string; event?: TaskEvent; code?: string; message?: string }
      if (message.type === 'error') fail(`${message.code}: ${message.message}`, 1)
      if (message.type === 'resync') ws.close()
      const event = message.event
      if (message.type !== 'event' || !event || event.seq <= after) return
      failures = 0
      console.log(formatEvent(event))
      after = event.seq
      const status = event.type === 'task.status' ? String(event.data.status) : null
      if (status && (FINAL.has(status) || (values['until-paused'] && status === 'paused'))) process.exit(status === 'success' || status === 'paused' ? 0 : 1)
    })
    ws.on('error', (error) => resolve(`server unreachable: ${error.message}`))
    ws.on('close', (code) => resolve(`connection closed (${code})`))
  })
}

/** `#seq HH:MM:SS.mmm kind text` — one line per event, the same whatever the event source. */
function formatEvent(event: TaskEvent): string {
  const time = event.at.slice(11, 23)
  const d = event.data
  const head = `#${String(event.seq).padStart(5)} ${time}`
  switch (event.type) {
    case 'task.status':
      return `${head} STATUS   ${d.previous ?? '-'} → ${d.status}${d.reason ? ` (${d.reason})` : ''}`
    case 'task.progress':
      return `${head} PROGRESS ${Number(d.progress_percentage).toFixed(0)}%${d.current_step ? ` at ${d.current_step}` : ''}`
    case 'step.started':
      return `${head} STEP     ${d.step_id} started (attempt ${d.attempt})`
    case 'step.finished':
      return `${head} STEP     ${d.step_id} ${d.status}${d.error ? `: ${d.error}` : ''}`
    case 'step.retry':
      return `${head} RETRY    ${d.step_id} attempt ${d.attempt} in ${d.delay_seconds} s`
    case 'step.output':
      return `${head} OUTPUT   ${d.step_id}.${d.name} = ${JSON.stringify(d.value)}`
    case 'log':
      // a multi-line message (a command line) continues on indented lines, so every event line starts with #
      return `${head} ${String(d.level).toUpperCase().padEnd(8)} ${d.source ? `[${d.source}] ` : ''}${String(d.message).replaceAll('\n', '\n        ')}`
    default:
      return `${head} ${event.type} ${JSON.stringify(d)}`
  }
}

function fail(message: string, code: number): never {
  console.error(message)
  process.exit(code)
}
