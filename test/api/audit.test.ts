import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { buildTestApp, sharedByFile } from '../helpers/app.js'

// A step that waits for a file the test writes: the task stays running until the test lets it go on.
const workflow = {
  name: 'audited_flow', display_name: 'Audited', version: '1',
  parameters: {
    gate: { type: 'string', required: true },
    note: { type: 'string', default: 'first' },
  },
  steps: [
    { id: 'wait', display_name: 'Wait', type: 'exec', host: 'local', inputs: { command: 'until [ -e {{ params.gate }} ]; do sleep 0.02; done' } },
    { id: 'done', display_name: 'Done', type: 'exec', host: 'local', inputs: { command: 'echo {{ params.note }}' } },
  ],
}

interface Action {
  task_id: number; seq: number; at: string; action: string; actor: { user_id: string; role: string } | null
  user_id: string; status: string; previous: string | null
  changes: Array<{ name: string; old: unknown; new: unknown }> | null; retry_from_step: string | null
}

/**
 * Alice's first task: created and started by her, paused and resumed (with a changed parameter and a retry step)
 * by the admin root, run to success. Her second: created with "start": true and cancelled by her.
 */
async function story() {
  const built = await buildTestApp(t, { workflows: [workflow], engine: true })
  const { app, authFor, dir } = built
  const alice = authFor('alice')
  const root = authFor('root', 'admin')
  const post = async (url: string, headers: Record<string, string>, payload?: object) => {
    const res = await app.inject({ method: 'POST', url, headers, ...(payload ? { payload } : {}) })
    if (res.statusCode >= 300) throw new Error(`${url}: ${res.statusCode} ${res.body}`)
    return res.json() as { id: number; status: string }
  }
  const detail = async (id: number, headers = alice) =>
    (await app.inject({ url: `/api/tasks/${id}`, headers })).json() as { status: string; actions: Action[] }
  const reaches = async (id: number, status: string) => {
    for (let i = 0; i < 1200; i++) {
      if ((await detail(id)).status === status) return
      await delay(25)
    }
    throw new Error(`task ${id} never became ${status}`)
  }

  const gate = join(dir, 'gate')
  const first = await post('/api/tasks', alice, { workflow_name: 'audited_flow', parameters: { gate } })
  await post(`/api/tasks/${first.id}/start`, alice)
  await reaches(first.id, 'running')
  await post(`/api/tasks/${first.id}/pause`, root)
  writeFileSync(gate, '')
  await reaches(first.id, 'paused')
  await post(`/api/tasks/${first.id}/resume`, root, { parameters: { note: 'second' }, retry_from_step: 'wait' })
  await reaches(first.id, 'success')

  const second = await post('/api/tasks', alice, { workflow_name: 'audited_flow', parameters: { gate: join(dir, 'never') }, start: true })
  await reaches(second.id, 'running')
  await post(`/api/tasks/${second.id}/cancel`, alice)
  await reaches(second.id, 'cancelled')
  return { ...built, alice, root, first: first.id, second: second.id, detail }
}

const shared = sharedByFile(t, story)

const who = (a: Action) => `${a.action} by ${a.actor?.user_id} (${a.actor?.role})`

t.test('the task detail lists who created, started, paused, resumed and cancelled', async (t) => {
  const { first, second, detail, root } = shared()
  const actions = (await detail(first)).actions
  t.same(actions.map(who), ['create by alice (user)', 'start by alice (user)', 'pause by root (admin)', 'resume by root (admin)'],
    'an admin acting on alice\'s task shows the admin; the engine\'s own moves are not actions')
  t.match(actions[0], { task_id: first, action: 'create', user_id: 'alice', previous: null, status: 'pending', changes: null })
  t.match(actions[2], { previous: 'running', status: 'pausing', user_id: 'alice' })
  t.match(actions[3], {
    previous: 'paused', status: 'queued', retry_from_step: 'wait',
    changes: [{ name: 'note', old: 'first', new: 'second' }],
  }, 'the resume records the parameters it changed and the step it retried from')
  t.same(actions.map((a) => a.seq), [...actions.map((a) => a.seq)].sort((a, b) => a - b), 'oldest first')
  t.same((await detail(second)).actions.map(who), ['create by alice (user)', 'start by alice (user)', 'cancel by alice (user)'],
    '"start": true on create records both')
  t.same((await detail(second, root)).actions, (await detail(second)).actions, 'the admin sees the same history')
})

t.test('each action is its task.status event; the engine\'s transitions name no actor', async (t) => {
  const { app, alice, first } = shared()
  const events = (await app.inject({ url: `/api/tasks/${first}/events`, headers: alice })).json().items as
    Array<{ type: string; seq: number; data: Record<string, unknown> }>
  const statuses = events.filter((e) => e.type === 'task.status')
  t.match(statuses[0], { seq: 1, data: { status: 'pending', previous: null, action: 'create', actor: { user_id: 'alice', role: 'user' } } },
    'the creation is the task\'s first event')
  const running = statuses.filter((e) => e.data.status === 'running')
  t.ok(running.length >= 2, 'ran twice (before the pause and after the resume)')
  for (const e of running) t.match(e.data, { action: null, actor: null }, 'queued → running is the engine\'s')
  t.match(statuses.at(-1)?.data, { status: 'success', action: null, actor: null })
})

t.test('GET /api/audit lists the actions newest first and filters them', async (t) => {
  const { app, root, first, second } = shared()
  const audit = async (query = '') => {
    const res = await app.inject({ url: `/api/audit${query}`, headers: root })
    t.equal(res.statusCode, 200, `${query}: ${res.body}`)
    return res.json() as { items: Action[]; total: number; limit: number; offset: number }
  }
  const all = await audit()
  t.equal(all.total, 7)
  t.same(all.items.map((a) => `${a.task_id} ${who(a)}`), [
    `${second} cancel by alice (user)`, `${second} start by alice (user)`, `${second} create by alice (user)`,
    `${first} resume by root (admin)`, `${first} pause by root (admin)`, `${first} start by alice (user)`,
    `${first} create by alice (user)`,
  ])
  t.same((await audit('?actor=root')).items.map(who), ['resume by root (admin)', 'pause by root (admin)'], 'by who acted')
  t.equal((await audit('?actor=alice')).total, 5)
  t.equal((await audit('?user_id=alice')).total, 7, 'by whose task')
  t.equal((await audit('?user_id=root')).total, 0)
  t.same((await audit(`?task_id=${second}`)).items.map((a) => a.action), ['cancel', 'start', 'create'], 'by task')
  t.same((await audit('?action=resume')).items.map((a) => a.task_id), [first], 'by action')
  t.same((await audit('?action=create&actor=alice')).items.map((a) => a.task_id), [second, first], 'filters combine')

  const since = all.items[3]!.at
  const later = await audit(`?since=${encodeURIComponent(since)}`)
  t.same(later.items, all.items.filter((a) => a.at >= since), 'since: at or after')
  t.ok(later.items.some((a) => a.action === 'resume'), 'since is inclusive')
  const until = all.items[3]!.at
  t.same((await audit(`?until=${encodeURIComponent(until)}`)).items, all.items.filter((a) => a.at < until), 'until: before')
  t.equal((await audit('?until=2000-01-01')).total, 0)
  t.equal((await audit('?since=2999-01-01T00:00:00%2B02:00')).total, 0, 'a date-time with an offset')

  const page = await audit('?limit=2&offset=1')
  t.same(page.items, all.items.slice(1, 3), 'paged')
  t.match(page, { total: 7, limit: 2, offset: 1 })
})

t.test('GET /api/audit is for admins; bad filters are 400', async (t) => {
  const { app, alice, root } = shared()
  const denied = await app.inject({ url: '/api/audit', headers: alice })
  t.equal(denied.statusCode, 403)
  t.match(denied.headers['content-type'], /application\/problem\+json/)
  t.match(denied.json(), { code: 'forbidden', detail: /admins/ })
  t.equal((await app.inject({ url: '/api/audit' })).statusCode, 401)
  for (const query of ['?action=delete', '?since=250624', '?task_id=0', '?limit=501', '?who=root']) {
    const res = await app.inject({ url: `/api/audit${query}`, headers: root })
    t.equal(res.statusCode, 400, query)
    t.match(res.json(), { code: 'validation_failed' }, query)
  }
})
