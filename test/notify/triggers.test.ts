import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { checkArtifactLink } from '../../src/auth/artifact-link.js'
import { loadChannels } from '../../src/notify/channel-file.js'
import { createNotifier } from '../../src/notify/notifier.js'
import { factOf } from '../../src/notify/triggers.js'
import { systemClock } from '../../src/schedules/clock.js'
import { buildTestApp, TEST_SECRET } from '../helpers/app.js'
import { eventually, webhookReceiver, webhookSecret } from './stand-ins.js'

const exec = (id: string, command: string, extra: Record<string, unknown> = {}) =>
  ({ id, display_name: id, type: 'exec', host: 'local', inputs: { command }, ...extra })
const workflows = [
  { name: 'ok_flow', display_name: 'OK', version: '1', steps: [exec('only', 'echo fine')] },
  { name: 'bad_flow', display_name: 'Bad', version: '1', steps: [exec('first', 'echo fine'), exec('boom', 'echo broken >&2; exit 3', { retry: { count: 0 } })] },
  { name: 'review_flow', display_name: 'Review', version: '1', steps: [exec('plots', 'echo plotted', { pause_after: true, review: 'the luminosity plot' })] },
]

const secret = webhookSecret()

async function setup(t: Test) {
  const receiver = await webhookReceiver(t, secret, () => 'up')
  const dir = mkdtempSync(join(tmpdir(), 'topup-notify-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'notify.json')
  writeFileSync(file, JSON.stringify({
    channels: {
      mine: { type: 'webhook', url: `${receiver.url}/mine`, secret_env: 'TEST_HOOK_SECRET' },
      ops: { type: 'webhook', url: `${receiver.url}/ops`, secret_env: 'TEST_HOOK_SECRET' },
      group: { type: 'webhook', url: `${receiver.url}/group`, secret_env: 'TEST_HOOK_SECRET', triggers: ['failed'], language: 'zh' },
    },
  }))
  const app = await buildTestApp(t, { engine: true, workflows, env: { NOTIFY_FILE: file, NOTIFY_BASE_URL: 'https://topup.example.org/' } })
  const startNotifier = async () => {
    const notifier = createNotifier({
      db: app.db, events: app.engine.events, channels: loadChannels(file, { TEST_HOOK_SECRET: secret }), config: app.config,
      secretKey: TEST_SECRET, clock: systemClock, logger: { info() {}, warn() {} },
    })
    await notifier.start()
    t.teardown(() => notifier.stop())
    return notifier
  }
  const notifier = await startNotifier()
  const run = async (user: string, workflow: string) => {
    const res = await app.app.inject({ method: 'POST', url: '/api/tasks', headers: app.authFor(user), payload: { workflow_name: workflow, start: true } })
    t.equal(res.statusCode, 201, res.body)
    return res.json<{ id: number }>().id
  }
  const status = async (id: number) => (await app.db.selectFrom('tasks').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status
  return { ...app, receiver, notifier, startNotifier, run, status }
}

t.test('preferences through the API: defaults, checks, and what the channels list shows', async (t) => {
  const s = await setup(t)
  const get = await s.app.inject({ url: '/api/users/me/notifications', headers: s.authFor('alice') })
  t.same(get.json(), { triggers: ['review', 'failed'], language: 'zh', channels: [], scope: 'own' })
  const channels = await s.app.inject({ url: '/api/notifications/channels', headers: s.authFor('alice') })
  t.same(channels.json(), { items: [
    { name: 'mine', type: 'webhook', triggers: [] }, { name: 'ops', type: 'webhook', triggers: [] },
    { name: 'group', type: 'webhook', triggers: ['failed'] },
  ] })
  t.notOk(channels.body.includes(s.receiver.url) || channels.body.includes('TEST_HOOK_SECRET'), 'no address, no variable')
  const put = (user: string, body: Record<string, unknown>, role: 'user' | 'admin' = 'user') =>
    s.app.inject({ method: 'PUT', url: '/api/users/me/notifications', headers: s.authFor(user, role), payload: body })
  const unknown = await put('alice', { channels: ['nope'] })
  t.equal(unknown.statusCode, 400)
  t.match(unknown.json(), { code: 'validation_failed', errors: [{ field: 'body.channels' }] })
  t.match((await put('alice', { channels: ['mine'], scope: 'all' })).json(), { code: 'forbidden' })
  t.equal((await put('alice', { triggers: ['forever'] })).statusCode, 400)
  const saved = await put('alice', { triggers: ['failed'], language: 'en', channels: ['mine'] })
  t.same(saved.json(), { triggers: ['failed'], language: 'en', channels: ['mine'], scope: 'own' })
  t.same((await s.app.inject({ url: '/api/users/me/notifications', headers: s.authFor('alice') })).json(), saved.json())
  t.equal((await put('root', { triggers: ['failed'], channels: ['ops'], scope: 'all' }, 'admin')).statusCode, 200)
})

t.test('a failure, a success and a review reach whoever asked, in their language, signed; deliveries list them', async (t) => {
  const s = await setup(t)
  const put = (user: string, body: Record<string, unknown>, role: 'user' | 'admin' = 'user') =>
    s.app.inject({ method: 'PUT', url: '/api/users/me/notifications', headers: s.authFor(user, role), payload: body })
  await put('alice', { triggers: ['failed', 'succeeded', 'review'], language: 'en', channels: ['mine'] })
  await put('root', { triggers: ['failed'], language: 'zh', channels: ['ops'], scope: 'all' }, 'admin')

  const failed = await s.run('alice', 'bad_flow')
  const bobs = await s.run('bob', 'bad_flow')
  const ok = await s.run('alice', 'ok_flow')
  const review = await s.run('alice', 'review_flow')
  await eventually('the tasks to end or pause', async () =>
    (await s.status(failed)) === 'failed' && (await s.status(bobs)) === 'failed' && (await s.status(ok)) === 'success'
    && (await s.status(review)) === 'paused')
  // alice: 3 on mine; root (all tasks): 2 failures on ops; group (its own subscription): 2 failures
  await eventually('seven deliveries', () => s.receiver.accepted().length >= 7)
  await s.notifier.settled()
  t.ok(s.receiver.received.every((r) => r.verified), 'every request verifies with the standardwebhooks package')
  const on = (path: string) => s.receiver.received.filter((r) => r.path === path).map((r) => r.payload!)
  t.same(on('/mine').map((p) => p.type).sort(), ['task.failed', 'task.review', 'task.succeeded'])
  t.same(on('/ops').map((p) => p.data!.task).map((task) => (task as { id: number }).id).sort(), [failed, bobs].sort(), 'an admin with scope all gets every task')
  t.equal(on('/group').length, 2, 'the channel\'s own subscription')

  const failure = on('/mine').find((p) => p.type === 'task.failed')!
  t.match(failure.data, {
    step: 'boom', reason: /step boom failed/, task: { id: failed, user_id: 'alice', workflow: 'bad_flow' },
    links: { task: `https://topup.example.org/#/tasks/${failed}`, pdf: null },
    text: { en: /^Task failed\n/ },
  })
  t.notOk('zh' in (failure.data!.text as object), 'only the language alice chose')
  t.match(on('/ops')[0]!.data, { text: { zh: /^任务失败\n/ } })
  const success = on('/mine').find((p) => p.type === 'task.succeeded')!
  t.type(success.data!.duration_seconds, 'number')
  t.match(success.data, { text: { en: /Duration: \d+ s/ } })
  t.match(on('/mine').find((p) => p.type === 'task.review')!.data, { reason: /waiting for review: the luminosity plot/ })

  const mine = await s.app.inject({ url: '/api/notifications/deliveries', headers: s.authFor('alice') })
  t.equal(mine.json<{ total: number }>().total, 5, 'alice sees those about her tasks (mine, ops and group)')
  const bob = await s.app.inject({ url: '/api/notifications/deliveries', headers: s.authFor('bob') })
  t.match(bob.json(), { total: 2, items: [{ user_id: 'bob', status: 'sent', attempts: 1 }, { user_id: 'bob' }] })
  const all = await s.app.inject({ url: '/api/notifications/deliveries?status=sent', headers: s.authFor('root', 'admin') })
  t.equal(all.json<{ total: number }>().total, 7)
  t.match(all.json<{ items: unknown[] }>().items[0], { idempotency_key: /^task:\d+:\d+:(mine|ops|group)$/, message: { type: /^task\./ } })
  t.notOk(all.body.includes(secret), 'no secret in a response')
  t.equal(new Set(s.receiver.received.map((r) => r.id)).size, s.receiver.received.length, 'one webhook-id per delivery')
})

t.test('the review\'s PDF link is a signed link for the task\'s owner', async (t) => {
  const s = await setup(t)
  const review = await s.run('alice', 'review_flow')
  await eventually('the review pause', async () => (await s.status(review)) === 'paused')
  const execution = await s.db.selectFrom('task_executions').select('id').where('task_id', '=', review).executeTakeFirstOrThrow()
  await s.db.insertInto('step_outputs').values({
    execution_id: execution.id, task_id: review, output_name: 'lum.pdf', output_type: 'artifact',
    output_path: `artifacts/${review}/lum.pdf`, content_type: 'application/pdf',
  }).execute()
  const event = await s.db.selectFrom('task_events').selectAll().where('task_id', '=', review).where('type', '=', 'task.status')
    .orderBy('seq', 'desc').executeTakeFirstOrThrow()
  const fact = await factOf({ db: s.db, baseUrl: 'https://topup.example.org', secretKey: TEST_SECRET, pdfLinkSeconds: 3600 }, event)
  t.equal(fact?.trigger, 'review')
  const url = new URL(fact!.links.pdf!)
  t.match(url.pathname, /^\/api\/artifacts\/\d+$/)
  const id = Number(url.pathname.split('/').at(-1))
  const link = { user: url.searchParams.get('user')!, exp: Number(url.searchParams.get('exp')), sig: url.searchParams.get('sig')! }
  t.equal(link.user, 'alice')
  t.equal(checkArtifactLink(TEST_SECRET, id, link), 'valid')
  t.ok(link.exp * 1000 > Date.now() + 3500_000, 'for the hours asked')
})

t.test('a cluster job going on hold is a trigger; staying on hold or running is not', async (t) => {
  const s = await setup(t)
  const id = await s.run('alice', 'ok_flow')
  await eventually('the task to end', async () => (await s.status(id)) === 'success')
  const ctx = { db: s.db, baseUrl: '', secretKey: TEST_SECRET, pdfLinkSeconds: 3600 }
  const job = (seq: number, state: string, previous: string | null) => ({
    task_id: id, seq, type: 'job.state', created_at: new Date().toISOString(),
    payload: JSON.stringify({ job_id: '12345.0', host: 'lxlogin', system: 'hepjob', step_id: 'submit', execution_id: 1, state, previous,
      reason: 'memory limit exceeded', exit_code: null }),
  })
  t.match(await factOf(ctx, job(1000, 'held', 'running')), {
    trigger: 'job_held', step: 'submit', job: { id: '12345.0', host: 'lxlogin', system: 'hepjob', reason: 'memory limit exceeded' },
    links: { task: `/#/tasks/${id}`, pdf: null },
  })
  t.equal(await factOf(ctx, job(1001, 'held', 'held')), null)
  t.equal(await factOf(ctx, job(1002, 'running', 'queued')), null)
})

t.test('events that happened while the notifier was stopped are read from the database when it starts again', async (t) => {
  const s = await setup(t)
  await s.app.inject({ method: 'PUT', url: '/api/users/me/notifications', headers: s.authFor('alice'),
    payload: { triggers: ['succeeded'], channels: ['mine'] } })
  await s.notifier.stop()
  const id = await s.run('alice', 'ok_flow')
  await eventually('the task to end', async () => (await s.status(id)) === 'success')
  t.equal(s.receiver.received.length, 0, 'nothing while stopped')
  await s.startNotifier()
  await eventually('the missed success delivered', () => s.receiver.accepted().length === 1)
  t.match(s.receiver.received[0]!.payload, { type: 'task.succeeded', data: { task: { id } } })
})
