import { existsSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { engineFixture, execStep, statusesOf } from './fixture.js'

// A pause or cancel that commits right after the scheduler claimed the task — before its runner first reads
// it — must still be completed by that runner: the task may not stay `pausing` or `cancelling`.

for (const action of ['pause', 'cancel'] as const) {
  t.test(`${action} from a listener of the 'running' event: the task reaches ${action === 'pause' ? 'paused' : 'cancelled'}`, async (t) => {
    const f = engineFixture(t)
    const ran = join(f.dir, 'ran')
    const task = await f.createTask({ steps: [execStep('first', `touch ${ran}`), execStep('second', 'true')] })
    const requested: Promise<unknown>[] = []
    const unsubscribe = f.engine.bus.subscribe((e) => {
      if (e.task_id === task.id && e.type === 'task.status' && e.data.status === 'running' && requested.length === 0) {
        requested.push(f.engine[action](task.id))
      }
    })
    t.teardown(unsubscribe)
    await f.engine.start(task.id)
    await f.waitForEvent(task.id, (e) => e.type === 'task.status' && e.data.status === 'running')
    const answer = await requested[0]
    t.match(answer, { status: action === 'pause' ? 'pausing' : 'cancelling' })
    const wanted = action === 'pause' ? 'paused' : 'cancelled'
    const done = await f.waitForStatus(task.id, wanted, 5000)
    t.equal(done.status, wanted)
    await f.engine.idle()
    t.same(f.engine.running(), [], 'no runner left')
    t.notOk(existsSync(ran), 'no step ran')
    t.same(statusesOf(await f.events(task.id)), ['queued', 'running', action === 'pause' ? 'pausing' : 'cancelling', wanted])
    if (action === 'pause') {
      t.equal(done.resume_from_step, 'first', 'resumes at the first step')
      await f.engine.resume(task.id)
      await f.waitForStatus(task.id, 'success')
      t.ok(existsSync(ran), 'the resumed task ran its steps')
    }
  })
}
