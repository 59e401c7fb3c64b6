import t, { type Test } from 'tap'
import { buildTestApp, sharedByFile } from '../helpers/app.js'

const workflow = {
  name: 'lifecycle_flow', display_name: 'Lifecycle', version: '1',
  parameters: { seconds: { type: 'string', default: '30', pattern: '^[0-9.]+$' } },
  steps: [
    { id: 'sleep', display_name: 'Sleep', type: 'exec', host: 'local', inputs: { command: 'sleep {{ params.seconds }}' } },
    { id: 'done', display_name: 'Done', type: 'exec', host: 'local', inputs: { command: 'echo done' } },
  ],
}

async function setup(t: Test) {
  const app = await buildTestApp(t, { workflows: [workflow], engine: true })
  const alice = app.authFor('alice')
  const post = (url: string, body?: unknown, headers: Record<string, string> = alice) =>
    app.app.inject({ method: 'POST', url, headers, ...(body === undefined ? {} : { payload: body as object }) })
  const create = async (parameters: Record<string, string> = {}, start = false) => {
    const res = await post('/api/tasks', { workflow_name: 'lifecycle_flow', parameters, ...(start ? { start } : {}) })
    if (res.statusCode !== 201) throw new Error(res.body)
    return res.json() as { id: number; status: string }
  }
  const waitFor = async (id: number, status: string) => {
    for (let i = 0; i < 400; i++) {
      const res = await app.app.inject({ method: 'GET', url: `/api/tasks/${id}`, headers: alice })
      if ((res.json() as { status: string }).status === status) return
      await new Promise((r) => setTimeout(r, 25))
    }
    throw new Error(`task ${id} never became ${status}`)
  }
  return { app, alice, post, create, waitFor }
}

// One app and engine for the file: each test drives tasks of its own.
const shared = sharedByFile(t, () => setup(t))

t.test('start, pause, resume and cancel over HTTP answer with the task', async (t) => {
  const s = shared()
  const task = await s.create({ seconds: '0.4' })
  t.equal(task.status, 'pending')
  const started = await s.post(`/api/tasks/${task.id}/start`)
  t.equal(started.statusCode, 200)
  t.equal(started.json().id, task.id)
  t.ok(['queued', 'running'].includes(started.json().status))

  const paused = await s.post(`/api/tasks/${task.id}/pause`)
  t.equal(paused.statusCode, 200)
  t.equal(paused.json().status, 'pausing')
  await s.waitFor(task.id, 'paused')

  const resumed = await s.post(`/api/tasks/${task.id}/resume`)
  t.equal(resumed.statusCode, 200, 'resume without a body')
  await s.waitFor(task.id, 'success')

  const again = await s.post(`/api/tasks/${task.id}/cancel`)
  t.equal(again.statusCode, 409)
  t.match(again.headers['content-type'], /application\/problem\+json/)
  t.match(again.json(), { code: 'invalid_transition', status: 409, current_status: 'success' })
  t.match(again.json().detail, /is success/)
})

t.test('"start": true on create queues the task; cancel kills it', async (t) => {
  const s = shared()
  const task = await s.create({}, true)
  t.ok(['queued', 'running'].includes(task.status))
  await s.waitFor(task.id, 'running')
  const res = await s.post(`/api/tasks/${task.id}/cancel`)
  t.equal(res.statusCode, 200)
  t.equal(res.json().status, 'cancelling')
  await s.waitFor(task.id, 'cancelled')
})

t.test('resume body: unknown step → 400 unknown_step, bad parameters → 400', async (t) => {
  const s = shared()
  const task = await s.create({ seconds: '0' })
  await s.post(`/api/tasks/${task.id}/start`)
  await s.waitFor(task.id, 'success')
  const pending = await s.create()
  const early = await s.post(`/api/tasks/${pending.id}/resume`, { retry_from_step: 'sleep' })
  t.equal(early.statusCode, 409, 'a pending task cannot resume')
  t.match(early.json(), { code: 'invalid_transition', current_status: 'pending' })

  await s.post(`/api/tasks/${pending.id}/start`)
  await s.waitFor(pending.id, 'running')
  await s.post(`/api/tasks/${pending.id}/pause`)
  await s.post(`/api/tasks/${pending.id}/cancel`)
  await s.waitFor(pending.id, 'cancelled')

  const third = await s.create({ seconds: '0.3' })
  await s.post(`/api/tasks/${third.id}/start`)
  await s.post(`/api/tasks/${third.id}/pause`)
  await s.waitFor(third.id, 'paused')
  const unknown = await s.post(`/api/tasks/${third.id}/resume`, { retry_from_step: 'nope' })
  t.equal(unknown.statusCode, 400)
  t.equal(unknown.json().code, 'unknown_step')
  const bad = await s.post(`/api/tasks/${third.id}/resume`, { parameters: { seconds: '1; rm -rf ~' } })
  t.equal(bad.statusCode, 400)
  t.equal(bad.json().code, 'invalid_parameters')
  t.equal(bad.json().errors[0].field, 'seconds')
  const ok = await s.post(`/api/tasks/${third.id}/resume`, { parameters: { seconds: '0' }, retry_from_step: 'sleep' })
  t.equal(ok.statusCode, 200)
  await s.waitFor(third.id, 'success')
})

t.test('someone else\'s task is 404; an admin may act on it', async (t) => {
  const s = shared()
  const task = await s.create({ seconds: '0' })
  const bob = s.app.authFor('bob')
  for (const action of ['start', 'pause', 'resume', 'cancel']) {
    const res = await s.post(`/api/tasks/${task.id}/${action}`, undefined, bob)
    t.equal(res.statusCode, 404, `${action} by another user`)
  }
  t.equal((await s.post('/api/tasks/999999/start')).statusCode, 404)
  t.equal((await s.post('/api/tasks/abc/start')).statusCode, 400)
  t.equal((await s.post(`/api/tasks/${task.id}/start`)).statusCode, 200, 'no auth problem for the owner')
  const admin = s.app.authFor('root', 'admin')
  await s.waitFor(task.id, 'success')
  const res = await s.post(`/api/tasks/${task.id}/cancel`, undefined, admin)
  t.equal(res.statusCode, 409, 'the admin sees it (409, not 404)')
})

t.test('the task log records who resumed the task (here an admin, not its owner)', async (t) => {
  const s = shared()
  const task = await s.create({ seconds: '0.3' })
  await s.post(`/api/tasks/${task.id}/start`)
  await s.post(`/api/tasks/${task.id}/pause`)
  await s.waitFor(task.id, 'paused')
  t.equal((await s.post(`/api/tasks/${task.id}/resume`, undefined, s.app.authFor('root', 'admin'))).statusCode, 200)
  await s.waitFor(task.id, 'success')
  const logs = await s.app.app.inject({ method: 'GET', url: `/api/tasks/${task.id}/logs`, headers: s.alice })
  const resumes = (logs.json() as { items: Array<{ message: string; source: string | null }> }).items
    .filter((l) => l.source === 'resume')
  t.same(resumes.map((l) => l.message), ['resumed by root'])
})

t.test('concurrent HTTP requests racing: exactly one start and one cancel win', async (t) => {
  const s = shared()
  const task = await s.create()
  const starts = await Promise.all(Array.from({ length: 8 }, () => s.post(`/api/tasks/${task.id}/start`)))
  t.same(starts.map((r) => r.statusCode).sort(), [200, 409, 409, 409, 409, 409, 409, 409])
  const cancels = await Promise.all(Array.from({ length: 8 }, () => s.post(`/api/tasks/${task.id}/cancel`)))
  t.same(cancels.map((r) => r.statusCode).sort(), [200, 409, 409, 409, 409, 409, 409, 409])
  for (const res of cancels.filter((r) => r.statusCode === 409)) {
    t.ok(['cancelling', 'cancelled'].includes(res.json().current_status), 'the loser is told the current status')
  }
  await s.waitFor(task.id, 'cancelled')
})
