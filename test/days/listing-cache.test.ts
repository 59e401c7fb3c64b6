import t from 'tap'
import { ListingCache } from '../../src/days/listing-cache.js'

/** A load that answers when told to, counting how often it was started. */
function loads() {
  const started: { resolve: (v: string) => void; reject: (e: Error) => void }[] = []
  const load = () => new Promise<string>((resolve, reject) => { started.push({ resolve, reject }) })
  return { load, started }
}

t.test('an answer is reused until the TTL has passed since it arrived, then loaded again', async (t) => {
  let now = 1000
  const cache = new ListingCache<string>(60_000, () => now)
  const l = loads()
  const first = cache.get('round18', l.load)
  await Promise.resolve()
  l.started[0]!.resolve('one')
  t.same(await first, { value: 'one', cached: false })
  now += 59_999
  t.same(await cache.get('round18', l.load), { value: 'one', cached: true })
  t.equal(l.started.length, 1)
  now += 1
  const again = cache.get('round18', l.load)
  await Promise.resolve()
  t.equal(l.started.length, 2, 'stale: loaded again')
  l.started[1]!.resolve('two')
  t.same(await again, { value: 'two', cached: false })
})

t.test('requests while a load is on its way share it; refresh starts a new one', async (t) => {
  const cache = new ListingCache<string>(60_000, () => 0)
  const l = loads()
  const a = cache.get('round18', l.load)
  const b = cache.get('round18', l.load)
  await Promise.resolve()
  t.equal(l.started.length, 1, 'one load for both')
  l.started[0]!.resolve('one')
  t.same(await Promise.all([a, b]), [{ value: 'one', cached: false }, { value: 'one', cached: true }])
  const refreshed = cache.get('round18', l.load, true)
  await Promise.resolve()
  t.equal(l.started.length, 2)
  l.started[1]!.resolve('two')
  t.same(await refreshed, { value: 'two', cached: false })
  t.same(await cache.get('round18', l.load), { value: 'two', cached: true }, 'the refreshed answer is the one kept')
  t.same(await cache.get('round19', async () => 'other'), { value: 'other', cached: false }, 'keys are apart')
})

t.test('a failed load is not kept, and a TTL of 0 keeps nothing', async (t) => {
  const cache = new ListingCache<string>(60_000, () => 0)
  await t.rejects(cache.get('round18', async () => { throw new Error('host down') }), /host down/)
  t.same(await cache.get('round18', async () => 'up'), { value: 'up', cached: false }, 'the next request tries again')
  const none = new ListingCache<string>(0, () => 0)
  t.same(await none.get('round18', async () => 'one'), { value: 'one', cached: false })
  t.same(await none.get('round18', async () => 'two'), { value: 'two', cached: false })
})
