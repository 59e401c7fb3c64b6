import t from 'tap'
import { engineFixture, execStep } from '/work/main/test/engine/fixture.js'
t.test('x', async (t) => {
  const f = engineFixture(t, { config: { MAX_PARALLEL_TASKS: 1 } })
  const blocker = await f.createTask({ steps: [execStep('sleep', 'sleep 30')] })
  f.engine.bus.subscribe((e) => console.log(JSON.stringify(e)))
  await f.engine.start(blocker.id)
  await new Promise((r) => setTimeout(r, 500))
  console.log(await f.engine.cancel(blocker.id))
  await new Promise((r) => setTimeout(r, 3000))
  console.log(await f.task(blocker.id), f.engine.running())
})
