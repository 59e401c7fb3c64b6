import t from 'tap'
import { buildTestApp, sharedByFile } from '../helpers/app.js'

async function taskWithLogs(t: Parameters<typeof buildTestApp>[0], user = 'alice') {
  const ctx = await buildTestApp(t)
  const create = (owner: string, date: string) => ctx.app.inject({ method: 'POST', url: '/api/tasks', headers: ctx.authFor(owner),
    payload: { workflow_name: 'topup_standard_workflow', parameters: { date_param: date } } })
  const task = (await create(user, '250624')).json()
  const other = (await create('bob', '250625')).json()
  const execution = await ctx.db.insertInto('task_executions').values({
    task_id: task.id, step_name: 'list_runs', step_display_name: 'List runs', step_type: 'exec', step_order: 2,
  }).returning('id').executeTakeFirstOrThrow()
  const levels = ['debug', 'info', 'warning', 'error', 'info', 'error'] as const
  await ctx.db.insertInto('task_logs').values(levels.map((level, i) => ({
    task_id: task.id, execution_id: i > 2 ? execution.id : null, seq: i + 1, level, message: `line ${i + 1}`, source: 'test',
  }))).execute()
  await ctx.db.insertInto('task_logs').values({ task_id: other.id, seq: 1, level: 'error', message: 'bob' }).execute()
  await ctx.db.insertInto('step_outputs').values([
    { execution_id: execution.id, task_id: task.id, output_name: 'runs', output_type: 'value', output_value: '["81234","81235"]', metadata: '{"encoding":"json"}' },
    { execution_id: execution.id, task_id: task.id, output_name: 'note', output_type: 'value', output_value: 'plain text' },
  ]).execute()
  return { ...ctx, task, other, executionId: execution.id }
}

// Every test reads the one fixture.
const shared = sharedByFile(t, () => taskWithLogs(t))

t.test('GET /api/tasks/{id}/logs: level, limit, after cursor', async (t) => {
  const { app, authFor, task } = shared()
  const get = async (query: string) => (await app.inject({ url: `/api/tasks/${task.id}/logs${query}`, headers: authFor('alice') })).json()
  const all = await get('')
  t.same(all.items.map((l: { seq: number }) => l.seq), [1, 2, 3, 4, 5, 6], 'oldest first')
  t.match(all, { total: 6, limit: 100, offset: 0, next_after: 6 })
  t.match(all.items[3], { task_id: task.id, seq: 4, level: 'error', message: 'line 4', source: 'test', execution_id: Number })
  t.same((await get('?level=error')).items.map((l: { seq: number }) => l.seq), [4, 6])
  t.same((await get('?level=warning')).items.map((l: { seq: number }) => l.seq), [3, 4, 6], 'that level and more severe')
  t.equal((await get('?level=debug')).total, 6)
  const first = await get('?limit=2')
  t.same([first.items.length, first.next_after, first.total], [2, 2, 6])
  const next = await get(`?limit=2&after=${first.next_after}`)
  t.same(next.items.map((l: { seq: number }) => l.seq), [3, 4])
  const end = await get('?after=6')
  t.same([end.items.length, end.next_after], [0, 6])
})

t.test('GET /api/logs: across the caller\'s tasks, newest first', async (t) => {
  const { app, authFor, task, other } = shared()
  const mine = (await app.inject({ url: '/api/logs', headers: authFor('alice') })).json()
  t.equal(mine.total, 6)
  t.equal(mine.items[0].message, 'line 6')
  t.ok(mine.items.every((l: { task_id: number }) => l.task_id === task.id))
  const all = (await app.inject({ url: '/api/logs?level=error', headers: authFor('root', 'admin') })).json()
  t.equal(all.total, 3)
  const one = (await app.inject({ url: `/api/logs?task_id=${other.id}&limit=5`, headers: authFor('root', 'admin') })).json()
  t.match(one, { total: 1, limit: 5, items: [{ message: 'bob' }] })
  t.equal((await app.inject({ url: `/api/logs?task_id=${other.id}`, headers: authFor('alice') })).statusCode, 404)
  t.equal((await app.inject({ url: '/api/logs' })).statusCode, 401)
})

t.test('GET /api/executions/{id}/outputs', async (t) => {
  const { app, authFor, executionId } = shared()
  const res = await app.inject({ url: `/api/executions/${executionId}/outputs`, headers: authFor('alice') })
  t.equal(res.statusCode, 200)
  t.match(res.json(), {
    total: 2,
    items: [{ output_name: 'runs', output_type: 'value', value: ['81234', '81235'] }, { output_name: 'note', value: 'plain text' }],
  })
  t.equal((await app.inject({ url: `/api/executions/${executionId}/outputs`, headers: authFor('bob') })).statusCode, 404,
    'someone else\'s execution is not found')
  t.equal((await app.inject({ url: `/api/executions/${executionId}/outputs`, headers: authFor('root', 'admin') })).statusCode, 200)
  t.equal((await app.inject({ url: '/api/executions/424242/outputs', headers: authFor('alice') })).statusCode, 404)
})
