import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js'
import { writeProcessWorkflows } from '../helpers/workflow-files.js'
import { eventually, webhookReceiver, webhookSecret } from './stand-ins.js'

/**
 * A real server process delivering to a local receiver that verifies every request: a delivery the receiver
 * refuses is retried, one still waiting when the service stops is sent after the restart, and none is taken twice.
 */
t.test('webhook deliveries are signed, retried, and survive a restart', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'topup-notify-restart-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const secret = webhookSecret()
  let mode: 'up' | 'down' = 'down'
  const receiver = await webhookReceiver(t, secret, () => mode)
  writeFileSync(join(dir, 'notify.json'), JSON.stringify({
    channels: { hook: { type: 'webhook', url: `${receiver.url}/topup`, secret_env: 'TEST_HOOK_SECRET' } },
  }))
  const env = {
    ...writeProcessWorkflows(dir), NOTIFY_FILE: join(dir, 'notify.json'), TEST_HOOK_SECRET: secret,
    NOTIFY_RETRY_SECONDS: '0.2', NOTIFY_RETRY_MAX_SECONDS: '0.5', NOTIFY_BASE_URL: 'http://topup.test',
  }
  const deliveries = async (server: ServerProcess) =>
    (await server.api<{ items: { task_id: number; status: string; attempts: number; last_error: string | null }[] }>('GET', '/api/notifications/deliveries')).body.items
  const runTask = async (server: ServerProcess) => {
    const created = await server.api<{ id: number }>('POST', '/api/tasks', { workflow_name: 'plain_flow', parameters: { secs: '0' }, start: true })
    t.equal(created.status, 201)
    await server.waitForStatus(created.body.id, ['success'])
    return created.body.id
  }

  const first = await startServerProcess(t, dir, env)
  t.equal((await first.api('PUT', '/api/users/me/notifications', { triggers: ['succeeded'], language: 'en', channels: ['hook'] })).status, 200)
  // refused at first: the delivery is retried until the receiver takes it
  const one = await runTask(first)
  await eventually('a refused attempt', () => receiver.received.length >= 1)
  mode = 'up'
  await eventually('task 1 delivered', () => receiver.accepted().length === 1)
  t.match((await deliveries(first)).find((d) => d.task_id === one), { status: 'sent', last_error: null })
  t.ok((await deliveries(first)).find((d) => d.task_id === one)!.attempts >= 2, 'sent after at least one refusal')

  // the receiver goes down; the second task's message waits in the outbox while the service stops
  mode = 'down'
  const refusedBefore = receiver.received.length
  const two = await runTask(first)
  await eventually('task 2 refused', async () => (await deliveries(first)).find((d) => d.task_id === two && d.attempts >= 1 && d.status === 'pending'))
  first.child.kill('SIGTERM')
  t.same(await first.exited, [0, null], 'a clean stop')
  t.ok(receiver.received.length > refusedBefore)

  mode = 'up'
  const second = await startServerProcess(t, dir, env)
  await eventually('task 2 delivered after the restart', () => receiver.accepted().length === 2)
  const taken = receiver.received.filter((r) => r.status === 200)
  t.same(taken.map((r) => (r.payload!.data!.task as { id: number }).id), [one, two])
  t.same(taken.map((r) => r.payload!.type), ['task.succeeded', 'task.succeeded'])
  t.ok(receiver.received.every((r) => r.verified), 'every request, retries included, verifies')
  const ids = receiver.received.filter((r) => (r.payload!.data!.task as { id: number }).id === two).map((r) => r.id)
  t.equal(new Set(ids).size, 1, 'a retry carries the same webhook-id')
  t.match((await deliveries(second)).find((d) => d.task_id === two), { status: 'sent' })
  await second.api('GET', '/api/health')
  second.child.kill('SIGTERM')
  await second.exited
  t.same(receiver.accepted().length, 2, 'nothing sent twice')
  const log = readFileSync(join(dir, 'logs', 'topup.log'), 'utf8')
  t.match(log, /notifications on/)
  t.match(log, /notification not delivered; will retry/)
  t.notOk(log.includes(secret), 'the secret never reaches the log')
})
