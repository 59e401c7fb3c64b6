import t from 'tap'
import { findTask } from '../../src/db/task-repository.js'
import type { TaskStatus } from '../../src/domain.js'
import { buildTestApp, sharedByFile } from '../helpers/app.js'

/**
 * One unfinished task per workflow and date: a second create is refused with 409 duplicate_task, race-free,
 * while one that ended (success, failed, cancelled) does not stand in the way. Real app, engine and SQLite file.
 */

const dayFlow = (name: string) => ({
  name, display_name: name, version: '1',
  parameters: {
    date_param: { type: 'string', format: 'yymmdd', required: true },
    round: { type: 'string', default: 'round18' },
  },
  vars: { area: 'site' },
  concurrency: { key: '{{ vars.area }}-{{ params.round }}' },
  steps: [{ id: 'review', display_name: 'Review', type: 'exec', host: 'local', inputs: { command: 'true' }, pause_after: true }],
})

const shared = sharedByFile(t, async () => {
  const app = await buildTestApp(t, { workflows: [dayFlow('day_flow'), dayFlow('other_flow')], engine: true, env: { TOPUP_VAR_AREA: 'here' } })
  const alice = app.authFor('alice')
  // Each test has a round of its own: the concurrency key would keep its tasks waiting for the other tests'.
  const create = (date: string, options: { start?: boolean; workflow?: string; round?: string } = {}) => app.app.inject({
    method: 'POST', url: '/api/tasks', headers: alice,
    payload: {
      workflow_name: options.workflow ?? 'day_flow', parameters: { date_param: date, round: options.round ?? 'round18' },
      ...(options.start ? { start: true } : {}),
    },
  })
  const post = (url: string) => app.app.inject({ method: 'POST', url, headers: alice })
  /** Resolves once the task is in `status`: on its event, or at once when it already is. */
  const reached = (id: number, status: TaskStatus) => new Promise<void>((resolve, reject) => {
    const off = app.engine.bus.subscribe((e) => {
      if (e.task_id === id && e.type === 'task.status' && e.data.status === status) { off(); resolve() }
    })
    findTask(app.db, id).then((row) => { if (row?.status === status) { off(); resolve() } }, reject)
  })
  return { ...app, create, post, reached }
})

t.test('a second unfinished task for a date: 409 duplicate_task naming the other', async (t) => {
  const { create, reached } = shared()
  const first = await create('250601', { start: true })
  t.equal(first.statusCode, 201)
  const { id } = first.json() as { id: number }
  t.match(first.json(), { concurrency_key: 'here-round18' }, 'the key, rendered with the site\'s variables')
  await reached(id, 'paused')

  const second = await create('250601', { start: true })
  t.equal(second.statusCode, 409)
  t.equal(second.headers['content-type'], 'application/problem+json; charset=utf-8')
  t.match(second.json(), {
    status: 409, code: 'duplicate_task', title: String, other_task_id: id, other_task_status: 'paused',
    detail: `task ${id} of day_flow for 250601 is paused: cancel it, or wait until it ends, before another task works on that date`,
  })
  const pending = await create('250602')
  t.equal(pending.statusCode, 201, 'a task created without start')
  t.match((await create('250602')).json(), { code: 'duplicate_task', other_task_id: pending.json().id, other_task_status: 'pending' },
    'is unfinished too')
  t.equal((await create('250601', { workflow: 'other_flow' })).statusCode, 201, 'another workflow may have a task for that date')
})

t.test('concurrent creates for one date: exactly one is created', async (t) => {
  const { db, create } = shared()
  const answers = await Promise.all(Array.from({ length: 6 }, () => create('250610', { start: true, round: 'round19' })))
  const created = answers.filter((res) => res.statusCode === 201)
  t.equal(created.length, 1, 'one 201')
  const winner = (created[0]!.json() as { id: number }).id
  for (const res of answers.filter((r) => r.statusCode !== 201)) {
    t.match(res.json(), { status: 409, code: 'duplicate_task', other_task_id: winner })
  }
  const rows = await db.selectFrom('tasks').select('id').where('date_param', '=', '250610').execute()
  t.same(rows.map((r) => r.id), [winner], 'and one row')
})

t.test('a cancelled or finished task of that date does not block a new one', async (t) => {
  const { create, post, reached } = shared()
  const first = (await create('250620', { start: true, round: 'round20' })).json() as { id: number }
  await reached(first.id, 'paused')
  t.equal((await post(`/api/tasks/${first.id}/cancel`)).statusCode, 200)
  await reached(first.id, 'cancelled')

  const second = await create('250620', { start: true, round: 'round20' })
  t.equal(second.statusCode, 201, 'after a cancelled one')
  const { id } = second.json() as { id: number }
  await reached(id, 'paused')
  t.equal((await post(`/api/tasks/${id}/resume`)).statusCode, 200)
  await reached(id, 'success')
  t.equal((await create('250620', { round: 'round20' })).statusCode, 201, 'after a finished one')
})

t.test('a resume that moves a task to another day is refused while that day has an unfinished task; a new round re-keys it', async (t) => {
  const { create, post, reached, app, db } = shared()
  const a = (await create('250701', { start: true, round: 'round90' })).json() as { id: number }
  const b = (await create('250702', { start: true, round: 'round91' })).json() as { id: number }
  await reached(a.id, 'paused')
  await reached(b.id, 'paused')
  const moved = await app.inject({
    method: 'POST', url: `/api/tasks/${b.id}/resume`, headers: shared().authFor('alice'),
    payload: { parameters: { date_param: '250701' } },
  })
  t.equal(moved.statusCode, 409)
  t.match(moved.json(), { code: 'duplicate_task', other_task_id: a.id, other_task_status: 'paused' })
  t.match(await findTask(db, b.id), { status: 'paused', date_param: '250702' }, 'refused: nothing changed')

  const rekeyed = await app.inject({
    method: 'POST', url: `/api/tasks/${b.id}/resume`, headers: shared().authFor('alice'),
    payload: { parameters: { round: 'round92' } },
  })
  t.equal(rekeyed.statusCode, 200)
  t.equal((await findTask(db, b.id))?.concurrency_key, 'here-round92', 'the key follows the new round')
  await reached(b.id, 'success')
  await post(`/api/tasks/${a.id}/cancel`)
})
