import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { signToken } from '../../src/auth/token.js'
import { LiveClient } from '../api/ws-helpers.js'
import { SECRET, freePort, startServerProcess } from '../helpers/server-process.js'
import { writeProcessWorkflows } from '../helpers/workflow-files.js'
import { parseScrape } from './prom-text.js'

const METRICS_TOKEN = 'metrics-test-token-0123456789abcdef'
const file = (name: string) => `{{ vars.work }}/{{ task.id }}.${name}`
const exec = (id: string, command: string, extra: Record<string, unknown> = {}) =>
  ({ id, display_name: id, type: 'exec', host: 'local', inputs: { command }, ...extra })
/** Its first step fails once and is retried; its second pauses for review; resuming ends it. */
const metered = {
  name: 'metered', display_name: 'metered', version: '1', vars: { work: '/nonexistent' },
  steps: [
    exec('flaky', `f=${file('flaky')}; echo run >> "$f"; echo "attempt $(wc -l < "$f")"; [ "$(wc -l < "$f")" -ge 2 ]`,
      { retry: { count: 2, delay_seconds: 0 } }),
    exec('check', 'echo checked', { pause_after: true, review: 'the plots' }),
  ],
}

async function serverWith(t: { teardown(fn: () => unknown): void }, env: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'topup-metrics-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const workflows = writeProcessWorkflows(dir)
  writeFileSync(join(workflows.WORKFLOWS_DIR, 'metered.json'), JSON.stringify(metered))
  return startServerProcess(t, dir, { ...workflows, ...env })
}

t.test('GET /metrics: token required, Prometheus names and types, values that follow a task', async (t) => {
  const server = await serverWith(t, { METRICS_TOKEN })
  const scrapeWith = (authorization?: string) =>
    fetch(`${server.base}/metrics`, { headers: authorization ? { authorization } : {} })
  const scrape = async () => {
    const res = await scrapeWith(`Bearer ${METRICS_TOKEN}`)
    t.equal(res.status, 200)
    return parseScrape(await res.text())
  }

  for (const authorization of [undefined, 'Bearer not-the-metrics-token', `Bearer ${signToken(SECRET, { userId: 'admin', role: 'admin' }, 60)}`]) {
    const res = await scrapeWith(authorization)
    t.equal(res.status, 401, `401 with ${authorization ? 'a wrong token' : 'no token'}`)
    t.match(res.headers.get('content-type'), /^application\/problem\+json/)
    t.equal((await res.json() as { code: string }).code, 'unauthorized')
  }

  const ok = await scrapeWith(`Bearer ${METRICS_TOKEN}`)
  t.match(ok.headers.get('content-type'), /^text\/plain; version=0\.0\.4/)
  const before = parseScrape(await ok.text())
  const expected: Record<string, string> = {
    topup_tasks: 'gauge', topup_tasks_waiting_review: 'gauge', topup_review_wait_oldest_seconds: 'gauge',
    topup_tasks_finished_total: 'counter', topup_task_duration_seconds: 'histogram', topup_step_duration_seconds: 'histogram',
    topup_step_retries_total: 'counter', topup_events_written_total: 'counter', topup_log_flush_duration_seconds: 'histogram',
    topup_ssh_connections: 'gauge', topup_ssh_channels_in_use: 'gauge', topup_ssh_channels_queued: 'gauge',
    topup_ssh_host_down: 'gauge', topup_ssh_connect_failures_total: 'counter', topup_ssh_exec_latency_seconds: 'histogram',
    topup_cluster_jobs: 'gauge', topup_cluster_jobs_finished_total: 'counter', topup_cluster_job_poll_duration_seconds: 'histogram', topup_cluster_job_poll_failures_total: 'counter',
    topup_websocket_clients: 'gauge', topup_websocket_subscriptions: 'gauge', topup_http_request_duration_seconds: 'histogram',
    topup_workflows_loaded: 'gauge', topup_build_info: 'gauge', process_cpu_seconds_total: 'counter', process_resident_memory_bytes: 'gauge',
  }
  for (const [name, type] of Object.entries(expected)) t.equal(before.types.get(name), type, `${name} is a ${type}`)
  t.equal(before.value('topup_tasks', { workflow: 'metered', status: 'running' }), 0, 'every status of a loaded workflow, from 0')
  t.equal(before.value('topup_tasks_finished_total', { workflow: 'metered', outcome: 'failed' }), 0, 'outcome counters start at 0')
  t.equal(before.value('topup_workflows_loaded', { runnable: 'true' }), 4)
  t.equal(before.value('topup_websocket_clients'), 0)
  t.equal(before.value('topup_tasks_waiting_review', { workflow: 'metered' }), 0)

  const created = await server.api<{ id: number }>('POST', '/api/tasks', { workflow_name: 'metered', parameters: {}, start: true })
  t.equal(created.status, 201)
  const id = created.body.id
  const live = await LiveClient.open(`${server.base.replace('http', 'ws')}/api/ws`,
    ['topup.v1', `bearer.${signToken(SECRET, { userId: 'alice', role: 'user' }, 3600)}`])
  t.teardown(() => live.ws.close())
  live.send({ type: 'subscribe', task_id: id })
  await live.next((m) => m.type === 'subscribed')
  await server.waitForStatus(id, ['paused'])

  const paused = await scrape()
  t.equal(paused.value('topup_tasks', { workflow: 'metered', status: 'paused' }), 1)
  t.equal(paused.value('topup_tasks_waiting_review', { workflow: 'metered' }), 1)
  t.ok(paused.value('topup_review_wait_oldest_seconds', { workflow: 'metered' })! >= 0, 'the review wait is measured')
  t.equal(paused.value('topup_step_retries_total', { workflow: 'metered', step: 'flaky' }), 1, 'one retry')
  t.equal(paused.value('topup_step_duration_seconds_count', { workflow: 'metered', step: 'flaky', outcome: 'failed' }), 1)
  t.equal(paused.value('topup_step_duration_seconds_count', { workflow: 'metered', step: 'flaky', outcome: 'success' }), 1)
  t.equal(paused.value('topup_step_duration_seconds_count', { workflow: 'metered', step: 'check', outcome: 'success' }), 1)
  t.equal(paused.value('topup_websocket_clients'), 1, 'the WebSocket client')
  t.equal(paused.value('topup_websocket_subscriptions'), 1, 'its subscription')
  t.ok(paused.value('topup_log_flush_duration_seconds_count')! >= 1, 'the command output was flushed')
  t.ok(paused.value('topup_events_written_total', { type: 'log' })! >= 2, 'log lines written')
  t.equal(paused.value('topup_http_request_duration_seconds_count', { method: 'POST', route: '/api/tasks', status_code: '201' }), 1,
    'the request is counted by its route pattern')
  t.ok(paused.value('topup_http_request_duration_seconds_count', { method: 'GET', route: '/api/tasks/:id', status_code: '200' })! >= 1)
  t.equal(paused.value('topup_http_request_duration_seconds_count', { route: '/metrics', status_code: '401' }), 3, 'the refused scrapes')

  t.equal((await server.api('POST', `/api/tasks/${id}/resume`, {})).status, 200)
  await server.waitForStatus(id, ['success'])
  const done = await scrape()
  t.equal(done.value('topup_tasks', { workflow: 'metered', status: 'success' }), 1)
  t.equal(done.value('topup_tasks', { workflow: 'metered', status: 'paused' }), 0)
  t.equal(done.value('topup_tasks_waiting_review', { workflow: 'metered' }), 0, 'nobody waits for a review any more')
  t.equal(done.value('topup_review_wait_oldest_seconds', { workflow: 'metered' }), undefined)
  t.equal(done.value('topup_tasks_finished_total', { workflow: 'metered', outcome: 'success' }), 1)
  t.equal(done.value('topup_task_duration_seconds_count', { workflow: 'metered', outcome: 'success' }), 1)
  t.ok(done.value('topup_task_duration_seconds_sum', { workflow: 'metered', outcome: 'success' })! > 0)
  t.ok(done.value('topup_events_written_total', { type: 'task.status' })! >= 4, 'pending → queued → running → paused → … → success')
})

t.test('METRICS_PORT: /metrics on its own listener only; /api/ready', async (t) => {
  const metricsPort = await freePort()
  const server = await serverWith(t, { METRICS_PORT: String(metricsPort), METRICS_TOKEN })
  t.equal((await fetch(`${server.base}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).status, 404,
    'not on the API\'s port')
  const own = `http://127.0.0.1:${metricsPort}`
  const refused = await fetch(`${own}/metrics`)
  t.equal(refused.status, 401, 'METRICS_TOKEN is required there too')
  t.equal((await refused.json() as { code: string }).code, 'unauthorized')
  t.equal((await fetch(`${own}/other`)).status, 404)
  const res = await fetch(`${own}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
  t.equal(res.status, 200)
  const scrape = parseScrape(await res.text())
  t.equal(scrape.types.get('topup_tasks'), 'gauge')
  t.equal(scrape.value('topup_tasks_finished_total', { workflow: 'metered', outcome: 'success' }), 0)

  const ready = await fetch(`${server.base}/api/ready`)
  t.equal(ready.status, 200)
  t.same(await ready.json(), { status: 'ready', checks: { database: { ok: true }, workflows: { ok: true, loaded: 4, runnable: 4 }, hosts: [] } })
})

t.test('a METRICS_PORT that is taken stops the start, like PORT would', async (t) => {
  const taken = createServer().listen(0, '127.0.0.1')
  await once(taken, 'listening')
  t.teardown(() => taken.close())
  const { port } = taken.address() as { port: number }
  await t.rejects(serverWith(t, { METRICS_PORT: String(port) }), /server exited with 1: cannot listen on 127\.0\.0\.1:\d+: port \d+ is already in use: .*set METRICS_PORT to a free port/)
})
