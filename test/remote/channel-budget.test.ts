import t from 'tap'
import { ChannelBudget } from '../../src/remote/ssh/channel-budget.js'
import { isAbortError } from '../../src/remote/abort-error.js'

t.test('first come, first served; never above the limit', async (t) => {
  const budget = new ChannelBudget(2)
  const order: number[] = []
  const first = await budget.acquire()
  const second = await budget.acquire()
  const waiting = [1, 2, 3].map((n) => budget.acquire().then((release) => { order.push(n); return release }))
  t.equal(budget.waiting, 3)
  first()
  first()
  const r1 = await waiting[0]!
  t.equal(budget.inUse, 2, 'a double release counts once')
  second()
  r1()
  await Promise.all(waiting)
  t.same(order, [1, 2, 3])
  t.equal(budget.inUse, 2)
})

t.test('an aborted waiter leaves the queue; urgent requests use the reserve', async (t) => {
  const budget = new ChannelBudget(1)
  const held = await budget.acquire()
  const ac = new AbortController()
  const gone = budget.acquire(ac.signal)
  const next = budget.acquire()
  ac.abort('cancel')
  t.ok(isAbortError(await gone.catch((e: unknown) => e)))
  const urgent = await budget.acquire(undefined, true)
  t.equal(budget.inUse, 2)
  urgent()
  held()
  ;(await next)()
  t.equal(budget.inUse, 0)
  t.equal(budget.waiting, 0)
})
