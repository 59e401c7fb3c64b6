import t from 'tap'
import type { TaskEvent } from '../../src/domain.js'
import { sharedByFile } from '../helpers/app.js'
import { emitProgress, gaps, seedTask, startLiveServer } from './ws-helpers.js'

// One server for the file; each test uses tasks and clients of its own.
const shared = sharedByFile(t, () => startLiveServer(t))

t.test('GET /api/tasks/:id/events pages through every event in seq order', async (t) => {
  const server = shared()
  const { store } = server
  const taskId = await seedTask(server.db, 'alice')
  for (let i = 1; i <= 25; i++) {
    if (i % 5 === 0) await emitProgress(store, taskId, 'alice', i * 4)
    else store.log({ taskId, level: i % 2 ? 'info' : 'error', message: `line ${i}` })
  }
  await store.flush()
  const auth = { authorization: `Bearer ${server.token('alice')}` }

  const seen: TaskEvent[] = []
  let after = 0
  const pages: number[] = []
  for (let round = 0; round < 10; round++) {
    const res = await server.app.inject({ url: `/api/tasks/${taskId}/events?after=${after}&limit=10`, headers: auth })
    t.equal(res.statusCode, 200)
    const body = res.json() as { items: TaskEvent[]; next_after: number }
    pages.push(body.items.length)
    if (body.items.length === 0) {
      t.equal(body.next_after, after, 'an empty page keeps the cursor')
      break
    }
    t.equal(body.next_after, body.items.at(-1)!.seq)
    seen.push(...body.items)
    after = body.next_after
  }
  t.same(pages, [10, 10, 5, 0])
  t.equal(gaps(seen.map((e) => e.seq), 25), null, 'seq 1..25')
  t.match(seen[4], { type: 'task.progress', task_id: taskId, data: { progress_percentage: 20, user_id: 'alice' } })
  t.match(seen[1], { type: 'log', data: { level: 'error', message: 'line 2', execution_id: null } })

  const defaults = await server.app.inject({ url: `/api/tasks/${taskId}/events`, headers: auth })
  t.equal((defaults.json() as { items: unknown[] }).items.length, 25, 'after defaults to 0')
})

t.test('the events of a task follow the visibility rules of the other task routes', async (t) => {
  const server = shared()
  const taskId = await seedTask(server.db, 'bob')
  await emitProgress(server.store, taskId, 'bob', 50)
  const get = (headers: Record<string, string>, query = '') =>
    server.app.inject({ url: `/api/tasks/${taskId}/events${query}`, headers })

  const other = await get({ authorization: `Bearer ${server.token('alice')}` })
  t.equal(other.statusCode, 404, 'someone else\'s task is not found')
  t.equal(other.json().code, 'not_found')
  t.equal((await get({ authorization: `Bearer ${server.token('root', 'admin')}` })).statusCode, 200, 'an admin sees it')
  t.equal((await get({ authorization: `Bearer ${server.token('bob')}` })).json().items.length, 1, 'the owner sees it')
  t.equal((await get({})).statusCode, 401, 'a token is required')
  const bad = await get({ authorization: `Bearer ${server.token('bob')}` }, '?after=-1&limit=5000')
  t.equal(bad.statusCode, 400)
  t.equal(bad.json().code, 'validation_failed')
  const missing = await server.app.inject({ url: '/api/tasks/9999/events', headers: { authorization: `Bearer ${server.token('root', 'admin')}` } })
  t.equal(missing.statusCode, 404)
})
