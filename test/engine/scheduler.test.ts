import t from 'tap'
import type { TaskEvent } from '../../src/domain.js'
import { engineFixture, execStep } from './fixture.js'

t.test('at most MAX_PARALLEL_TASKS run; the rest wait queued and start FIFO as slots free', async (t) => {
  const f = engineFixture(t, { config: { MAX_PARALLEL_TASKS: 2 } })
  const tasks = []
  for (let i = 0; i < 6; i++) tasks.push(await f.createTask({ steps: [execStep('work', 'sleep 0.3')] }))
  const statusEvents: Array<{ id: number; status: string; at: number }> = []
  let running = 0
  let maxRunning = 0
  f.engine.bus.subscribe((e: TaskEvent) => {
    if (e.type !== 'task.status') return
    statusEvents.push({ id: e.task_id, status: e.data.status, at: Date.now() })
    if (e.data.status === 'running') maxRunning = Math.max(maxRunning, ++running)
    if (e.data.previous === 'running') running--
  })
  const started = []
  for (const task of tasks) started.push((await f.engine.start(task.id)).status)
  t.same(started, ['running', 'running', 'queued', 'queued', 'queued', 'queued'], 'free slots start at once')
  for (const task of tasks) await f.waitForStatus(task.id, 'success')
  t.equal(maxRunning, 2, 'never more than two running')
  const order = statusEvents.filter((e) => e.status === 'running').map((e) => e.id)
  t.same(order, tasks.map((task) => task.id), 'claimed first in, first out')
  // A freed slot is taken at once: each claim follows a finish by far less than a polling interval.
  for (const claim of statusEvents.filter((e) => e.status === 'running').slice(2)) {
    const freed = statusEvents.filter((e) => e.status === 'success' && e.at <= claim.at).at(-1)!
    t.ok(claim.at - freed.at < 200, `task ${claim.id} claimed ${claim.at - freed.at} ms after a slot freed`)
  }
})

t.test('FIFO follows queued_at, not task id', async (t) => {
  const f = engineFixture(t, { config: { MAX_PARALLEL_TASKS: 1 } })
  const blocker = await f.createTask({ steps: [execStep('block', 'sleep 0.3')] })
  const a = await f.createTask({ steps: [execStep('a', 'true')] })
  const b = await f.createTask({ steps: [execStep('b', 'true')] })
  await f.engine.start(blocker.id)
  await f.engine.start(b.id)
  await f.engine.start(a.id)
  const order: number[] = []
  f.engine.bus.subscribe((e) => { if (e.type === 'task.status' && e.data.status === 'running') order.push(e.task_id) })
  await f.waitForStatus(a.id, 'success')
  await f.waitForStatus(b.id, 'success')
  t.same(order, [b.id, a.id], 'b was queued first')
})
