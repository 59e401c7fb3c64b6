import t from 'tap'
import type { Db } from '../../src/db/connect.js'
import { findTask } from '../../src/db/task-repository.js'
import type { ExecutionStatus } from '../../src/domain.js'
import type { TaskControl } from '../../src/engine/interfaces.js'
import { buildTestApp, sharedByFile } from '../helpers/app.js'

/** The seed's request body, exactly as written in its README. */
const seedBody = {
  user_id: 'user123',
  workflow_name: 'topup_standard_workflow',
  task_name: '处理250624日期数据',
  parameters: { date_param: '250624', submit_job: true, max_wait_minutes: 25 },
}

/** The seed's body for another day: one date has one unfinished task at a time, and these tests share an app. */
const seedFor = (date: string) => ({ ...seedBody, parameters: { ...seedBody.parameters, date_param: date } })

// One app for the tests that need no config of their own and see only their own users' tasks.
const shared = sharedByFile(t, () => buildTestApp(t))

t.test('POST /api/tasks with the seed body', async (t) => {
  const { app, db, authFor, workflows } = shared()
  const res = await app.inject({ method: 'POST', url: '/api/tasks', headers: authFor('user123'), payload: seedBody })
  t.equal(res.statusCode, 201, res.body)
  const task = res.json()
  t.equal(res.headers.location, `/api/tasks/${task.id}`)
  t.match(task, {
    user_id: 'user123', workflow_name: 'topup_standard_workflow', task_name: '处理250624日期数据',
    date_param: '250624', status: 'pending', progress_percentage: 0, concurrency_key: 'round-round18',
    parameters: { date_param: '250624', round: 'round18', submit_job: true, max_wait_minutes: 25, check_ist: true },
    progress: { task_id: task.id, status: 'pending', steps_total: 38, steps_done: 0 },
  })
  t.same(task.steps.map((s: { step_id: string; status: string }) => [s.step_id, s.status]), [
    'submit_jobs', 'list_runs', 'wait_for_job_files', 'check_job_logs', 'move_files', 'ist_check', 'merge_plots', 'download_pdf',
    'submit_hist_jobs', 'list_hist_runs', 'wait_for_hist_files', 'merge_hist', 'draw_hist_plots', 'wait_for_hist_plots',
    'merge_hist_plots', 'download_hist_pdf',
    'submit_peak_jobs', 'list_peak_runs', 'wait_for_shield_files', 'add_windows',
    'submit_shield_jobs', 'wait_for_shield_jobs', 'check_shield_plots', 'merge_shield_plots', 'download_shield_pdfs',
    'submit_ets_jobs', 'list_ets_runs', 'wait_for_ets_files', 'add_ets_cuts', 'tidy_ets_cuts', 'merge_ets_plots', 'download_ets_pdf',
    'submit_check_jobs', 'list_check_runs', 'wait_for_check_files', 'merge_check_plots', 'download_check_pdf',
    'reset_folders',
  ].map((id) => [id, 'pending']))
  const wf = workflows.get('topup_standard_workflow')!
  t.equal(task.workflow_id, wf.id)
  const row = await db.selectFrom('task_snapshots').selectAll().where('task_id', '=', task.id).executeTakeFirstOrThrow()
  t.equal(row.workflow_snapshot, wf.definitionJson, 'the task keeps the exact definition')
  const params = await db.selectFrom('task_parameters').select(['param_name', 'param_value', 'param_type'])
    .where('task_id', '=', task.id).orderBy('param_name').execute()
  t.same(params, [
    { param_name: 'check_ist', param_value: 'true', param_type: 'boolean' },
    { param_name: 'date_param', param_value: '250624', param_type: 'string' },
    { param_name: 'max_wait_minutes', param_value: '25', param_type: 'integer' },
    { param_name: 'round', param_value: 'round18', param_type: 'string' },
    { param_name: 'submit_job', param_value: 'true', param_type: 'boolean' },
  ])
})

t.test('the seed\'s GET requests', async (t) => {
  const { app, authFor } = shared()
  const auth = authFor('user123')
  const created = (await app.inject({ method: 'POST', url: '/api/tasks', headers: auth, payload: seedFor('250626') })).json()
  const list = await app.inject({ url: '/api/tasks?user_id=user123&status=pending&limit=10&offset=0', headers: auth })
  t.equal(list.statusCode, 200)
  const page = list.json()
  t.match(page, { limit: 10, offset: 0, items: [{ id: created.id }] }, 'the newest first')
  t.ok(page.items.every((i: { user_id: string; status: string }) => i.user_id === 'user123' && i.status === 'pending'), 'only the filtered ones')
  t.equal(page.total, page.items.length)
  const running = await app.inject({ url: '/api/tasks?user_id=user123&status=running&limit=10&offset=0', headers: auth })
  t.same(running.json(), { items: [], total: 0, limit: 10, offset: 0 })
  const one = await app.inject({ url: `/api/tasks/${created.id}`, headers: auth })
  t.equal(one.statusCode, 200)
  t.same(one.json(), created)
  const logs = await app.inject({ url: `/api/tasks/${created.id}/logs?level=error&limit=100`, headers: auth })
  t.equal(logs.statusCode, 200)
  t.match(logs.json(), { items: [], total: 0, limit: 100 })
  const workflows = await app.inject({ url: '/api/workflows', headers: auth })
  t.equal(workflows.statusCode, 200)
  const detail = await app.inject({ url: '/api/workflows/topup_standard_workflow', headers: auth })
  t.equal(detail.statusCode, 200)
})

t.test('parameters are checked: 400 naming the parameter', async (t) => {
  const { app, authFor } = shared()
  const count = async () => (await app.inject({ url: '/api/tasks', headers: authFor('user123') })).json().total
  const before = await count()
  for (const [date, field] of [['2506', 'date_param'], ['250624; rm -rf ~', 'date_param']] as const) {
    const res = await app.inject({
      method: 'POST', url: '/api/tasks', headers: authFor('user123'),
      payload: { ...seedBody, parameters: { ...seedBody.parameters, date_param: date } },
    })
    t.equal(res.statusCode, 400)
    t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
    t.match(res.json(), { code: 'invalid_parameters', status: 400, detail: /date_param/, errors: [{ field }] })
  }
  const missing = await app.inject({ method: 'POST', url: '/api/tasks', headers: authFor('user123'),
    payload: { ...seedBody, parameters: { submit_job: true } } })
  t.match(missing.json(), { status: 400, errors: [{ field: 'date_param', message: 'is required' }] })
  const wrongType = await app.inject({ method: 'POST', url: '/api/tasks', headers: authFor('user123'),
    payload: { ...seedBody, parameters: { date_param: '250624', max_wait_minutes: 'soon' } } })
  t.match(wrongType.json(), { status: 400, errors: [{ field: 'max_wait_minutes' }] })
  t.equal(await count(), before, 'nothing was created')
})

t.test('create: defaults and other errors', async (t) => {
  const { app, authFor } = shared()
  const minimal = await app.inject({ method: 'POST', url: '/api/tasks', headers: authFor('alice'),
    payload: { workflow_name: 'topup_standard_workflow', parameters: { date_param: '250625' } } })
  t.equal(minimal.statusCode, 201)
  t.match(minimal.json(), { user_id: 'alice', task_name: /250625/ })
  const unknown = await app.inject({ method: 'POST', url: '/api/tasks', headers: authFor('alice'),
    payload: { workflow_name: 'nope', parameters: {} } })
  t.match(unknown.json(), { status: 404, code: 'not_found' })
  const noName = await app.inject({ method: 'POST', url: '/api/tasks', headers: authFor('alice'), payload: { parameters: {} } })
  t.match(noName.json(), { status: 400, code: 'validation_failed', errors: [{ field: 'body.workflow_name' }] })
  const start = await app.inject({ method: 'POST', url: '/api/tasks', headers: authFor('alice'),
    payload: { workflow_name: 'topup_standard_workflow', parameters: { date_param: '250625' }, start: true } })
  t.match(start.json(), { status: 503, code: 'service_unavailable' }, 'start without an engine')
})

t.test('"start": true hands the task to the engine', async (t) => {
  const started: number[] = []
  let db!: Db
  const refuse = async (): Promise<never> => { throw new Error('not part of this test') }
  const control: TaskControl = {
    start: async (id) => { started.push(id); return (await findTask(db, id))! }, pause: refuse, resume: refuse, cancel: refuse,
  }
  const test = await buildTestApp(t, { control })
  const { app, authFor } = test
  db = test.db
  const res = await app.inject({ method: 'POST', url: '/api/tasks', headers: authFor('alice'),
    payload: { workflow_name: 'topup_standard_workflow', parameters: { date_param: '250625' }, start: true } })
  t.equal(res.statusCode, 201)
  t.same(started, [res.json().id])
})

t.test('a workflow that cannot run yet: 409 naming the missing step types', async (t) => {
  const { app, authFor } = await buildTestApp(t, { implementedStepTypes: ['exec'] })
  const res = await app.inject({ method: 'POST', url: '/api/tasks', headers: authFor('user123'), payload: seedBody })
  t.equal(res.statusCode, 409)
  t.match(res.json(), { code: 'workflow_not_runnable', missing_step_types: ['wait_for_files', 'download'] })
})

t.test('list: filters, paging, newest first', async (t) => {
  // Its own database: the admin's list is the whole table.
  const { app, db, authFor } = await buildTestApp(t)
  const admin = authFor('root', 'admin')
  const ids: number[] = []
  for (const [user, date] of [['alice', '250601'], ['bob', '250602'], ['alice', '250603']]) {
    const res = await app.inject({ method: 'POST', url: '/api/tasks', headers: admin,
      payload: { user_id: user, workflow_name: 'topup_standard_workflow', parameters: { date_param: date } } })
    ids.push(res.json().id)
  }
  await db.updateTable('tasks').set({ created_at: '2025-06-01T00:00:00.000Z' }).where('id', '=', ids[0]!).execute()
  await db.updateTable('tasks').set({ status: 'running' }).where('id', '=', ids[2]!).execute()
  const all = (await app.inject({ url: '/api/tasks', headers: admin })).json()
  t.same(all.items.map((i: { id: number }) => i.id), [ids[2], ids[1], ids[0]])
  t.equal(all.limit, 50)
  const page = (await app.inject({ url: '/api/tasks?limit=1&offset=1', headers: admin })).json()
  t.same([page.items.length, page.items[0].id, page.total], [1, ids[1], 3])
  t.equal((await app.inject({ url: '/api/tasks?user_id=alice', headers: admin })).json().total, 2)
  t.equal((await app.inject({ url: '/api/tasks?status=running', headers: admin })).json().total, 1)
  t.equal((await app.inject({ url: '/api/tasks?workflow_name=other', headers: admin })).json().total, 0)
  t.equal((await app.inject({ url: '/api/tasks?created_before=2025-06-02', headers: admin })).json().total, 1)
  t.equal((await app.inject({ url: '/api/tasks?created_after=2025-06-02T00:00:00Z', headers: admin })).json().total, 2)
  const bad = await app.inject({ url: '/api/tasks?created_after=yesterday', headers: admin })
  t.match(bad.json(), { status: 400, errors: [{ field: 'querystring.created_after' }] })
  const mine = (await app.inject({ url: '/api/tasks', headers: authFor('alice') })).json()
  t.equal(mine.total, 2, 'a user sees only their own tasks')
})

t.test('detail, progress and executions reflect the step rows', async (t) => {
  const { app, db, authFor } = shared()
  const auth = authFor('alice')
  const task = (await app.inject({ method: 'POST', url: '/api/tasks', headers: auth,
    payload: { workflow_name: 'topup_standard_workflow', parameters: { date_param: '250627' } } })).json()
  const exec = (step: string, order: number, attempt: number, status: ExecutionStatus) => ({
    task_id: task.id, step_name: step, step_display_name: step, step_type: 'exec', step_order: order, attempt, status,
    start_time: '2025-06-24T08:00:00.000Z',
  })
  await db.insertInto('task_executions').values([
    exec('submit_jobs', 1, 1, 'success'), exec('list_runs', 2, 1, 'failed'), exec('list_runs', 2, 2, 'running'),
  ]).execute()
  await db.updateTable('tasks').set({ status: 'running', current_step: 'list_runs', progress_percentage: 14.3 })
    .where('id', '=', task.id).execute()
  const detail = (await app.inject({ url: `/api/tasks/${task.id}`, headers: auth })).json()
  t.match(detail.steps.slice(0, 3), [
    { step_id: 'submit_jobs', status: 'success', attempts: 1, order: 1 },
    { step_id: 'list_runs', status: 'running', attempts: 2, order: 2 },
    { step_id: 'wait_for_job_files', status: 'pending', attempts: 0 },
  ])
  const progress = await app.inject({ url: `/api/tasks/${task.id}/progress`, headers: auth })
  t.same(progress.json(), {
    task_id: task.id, status: 'running', progress_percentage: 14.3, current_step: 'list_runs',
    steps_total: 38, steps_done: 1, steps_failed: 0, last_seq: 1, // its creation is its first event
    jobs: {
      total: 0, summary: '0/0 done',
      by_state: { queued: 0, running: 0, held: 0, suspended: 0, completed: 0, failed: 0, removed: 0, lost: 0 },
    },
  })
  const executions = (await app.inject({ url: `/api/tasks/${task.id}/executions`, headers: auth })).json()
  t.equal(executions.total, 3)
  t.same(executions.items.map((e: { step_name: string; attempt: number }) => `${e.step_name}#${e.attempt}`),
    ['submit_jobs#1', 'list_runs#1', 'list_runs#2'])
  t.notOk('remote_handle' in executions.items[0], 'internal columns stay inside')
  for (const path of ['', '/progress', '/executions', '/logs']) {
    const missing = await app.inject({ url: `/api/tasks/999${path}`, headers: auth })
    t.match(missing.json(), { status: 404, code: 'not_found' }, `404 for ${path || 'the task'}`)
  }
})
