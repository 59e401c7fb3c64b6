import t from 'tap'
import { mock } from 'node:test'
import { EventBus } from '../../src/engine/bus.js'
import type { TaskEvent } from '../../src/domain.js'
import { LOG_FLUSH_FOLLOWED_MS, LOG_FLUSH_LINES, LOG_FLUSH_MS } from '../../src/engine/event-store.js'
import { engineFixture, execStep } from './fixture.js'

const workflow = { steps: [execStep('one', 'true')] }

t.test('bus: listeners are isolated and can unsubscribe', async (t) => {
  const errors: unknown[] = []
  const bus = new EventBus((error) => errors.push(error))
  const seen: number[] = []
  bus.subscribe(() => { throw new Error('boom') })
  bus.subscribe(async () => { throw new Error('async boom') })
  const off = bus.subscribe((e) => { seen.push(e.seq) })
  const event: TaskEvent = { task_id: 1, seq: 1, type: 'log', at: '', data: { execution_id: null, level: 'info', message: 'x', source: null } }
  bus.publish(event)
  off()
  bus.publish({ ...event, seq: 2 })
  await new Promise((r) => setImmediate(r))
  t.same(seen, [1], 'the good listener got the event before unsubscribing, not after')
  t.equal(errors.length, 4, 'each failure was reported (sync and async, twice)')
})

t.test('seq strictly increases without gaps across logs and events, and events are pushed after commit', async (t) => {
  const f = engineFixture(t)
  const task = await f.createTask(workflow)
  const pushed: TaskEvent[] = []
  let committedWhenPushed = true
  f.engine.bus.subscribe(async (e) => {
    pushed.push(e)
    // The row must already be readable when the push arrives.
    const rows = await f.engine.events.read(e.task_id, e.seq - 1, 1)
    if (rows[0]?.seq !== e.seq) committedWhenPushed = false
  })
  const { store } = f.engine
  for (let i = 0; i < 30; i++) {
    store.log({ taskId: task.id, level: 'info', message: `line ${i}` })
    if (i % 7 === 0) {
      await store.commit(async (_trx, emit) => {
        await emit.event(task.id, { type: 'task.progress', data: { progress_percentage: i, current_step: null, user_id: 'alice' } })
      })
    }
  }
  await store.flush()
  const events = await f.events(task.id)
  t.same(events.map((e) => e.seq), Array.from({ length: 35 }, (_, i) => i + 1), '30 lines + 5 events, seq 1..35')
  const order = events.map((e) => e.type === 'log' ? e.data.message : `progress ${(e.data as { progress_percentage: number }).progress_percentage}`)
  t.same(order.slice(0, 3), ['line 0', 'progress 0', 'line 1'], 'a line logged before an event gets the smaller seq')
  t.equal(order.indexOf('line 7') + 1, order.indexOf('progress 7'))
  t.same(pushed.map((e) => e.seq), events.map((e) => e.seq), 'every event pushed, in order')
  t.ok(committedWhenPushed, 'each push came after its row was committed')
  t.equal((await f.task(task.id)).last_seq, 35)
  t.same((await f.engine.events.read(task.id, 30, 3)).map((e) => e.seq), [31, 32, 33], 'after + limit')
})

t.test('log lines are batched: one transaction per 50 ms or per 1000 lines', async (t) => {
  const f = engineFixture(t)
  const task = await f.createTask(workflow)
  const { store } = f.engine
  const batches: number[] = []
  let current = -1
  f.engine.bus.subscribe(() => {
    // Events of one transaction are published together, synchronously, after the commit.
    if (current < 0) { current = 0; queueMicrotask(() => { batches.push(current); current = -1 }) }
    current++
  })
  for (let i = 0; i < 2500; i++) store.log({ taskId: task.id, level: 'info', message: `line ${i}` })
  t.ok(store.pendingLines <= 2500 - LOG_FLUSH_LINES, 'a full batch is taken without waiting for the timer')
  // the last 500 need no further call: the batch timer writes them
  await f.waitForEvent(task.id, (e) => e.type === 'log' && e.data.message === 'line 2499', 10_000)
  t.same(batches, [1000, 1000, 500], 'three transactions')
  t.equal((await f.events(task.id)).length, 2500)

  const quiet: number[] = []
  const off = f.engine.bus.subscribe(() => { quiet.push(Date.now()) })
  const logged = Date.now()
  store.log({ taskId: task.id, level: 'info', message: 'one more' })
  await f.waitForEvent(task.id, (e) => e.type === 'log' && e.data.message === 'one more', 10_000)
  off()
  t.ok(quiet[0]! - logged >= 40, `a lone line is written after the 50 ms batch window, not at once (${quiet[0]! - logged} ms)`)
})

t.test('a followed task\'s lines wait LOG_FLUSH_FOLLOWED_MS, others LOG_FLUSH_MS; an unfollowed task waits again', async (t) => {
  const f = engineFixture(t)
  const task = await f.createTask(workflow)
  const { store } = f.engine
  mock.timers.enable({ apis: ['setTimeout'] })
  t.teardown(() => mock.timers.reset())
  const line = (message: string) => store.log({ taskId: task.id, level: 'info', message })
  // the buffer is taken at once when the timer fires, so pendingLines tells whether it has
  line('nobody follows')
  mock.timers.tick(LOG_FLUSH_FOLLOWED_MS)
  t.equal(store.pendingLines, 1, 'not followed: still waiting after the short wait')
  mock.timers.tick(LOG_FLUSH_MS - LOG_FLUSH_FOLLOWED_MS)
  t.equal(store.pendingLines, 0, 'written after LOG_FLUSH_MS')
  await store.flush()

  const unfollow = f.engine.events.follow!(task.id)
  const second = f.engine.events.follow!(task.id)
  line('followed')
  mock.timers.tick(LOG_FLUSH_FOLLOWED_MS - 1)
  t.equal(store.pendingLines, 1)
  mock.timers.tick(1)
  t.equal(store.pendingLines, 0, 'followed: written after LOG_FLUSH_FOLLOWED_MS')
  await store.flush()

  unfollow()
  unfollow() // twice counts once: the second follower still follows
  line('still followed')
  mock.timers.tick(LOG_FLUSH_FOLLOWED_MS)
  t.equal(store.pendingLines, 0, 'one follower left')
  await store.flush()
  second()
  line('followed no more')
  mock.timers.tick(LOG_FLUSH_FOLLOWED_MS)
  t.equal(store.pendingLines, 1, 'nobody follows again')
  mock.timers.tick(LOG_FLUSH_MS)
  await store.flush()
  t.same((await f.events(task.id)).filter((e) => e.type === 'log').map((e) => e.data.message),
    ['nobody follows', 'followed', 'still followed', 'followed no more'])
})
