import t from 'tap'
import { AppError } from '../../src/errors.js'
import type { TaskStatus } from '../../src/domain.js'
import { canTransition, transitionTask, transitions } from '../../src/engine/task-state.js'
import { engineFixture, execStep, statusesOf } from './fixture.js'

const all = Object.keys(transitions) as TaskStatus[]
const sleepy = { steps: [execStep('sleep', 'sleep 30')] }

t.test('the state table is the one of the task lifecycle', async (t) => {
  t.same(transitions.pending, ['queued', 'cancelling'])
  t.same(transitions.paused, ['queued', 'cancelling'])
  t.same(transitions.cancelling, ['cancelled'])
  for (const final of ['success', 'failed', 'cancelled'] as const) t.same(transitions[final], [], `${final} is final`)
  for (const from of ['pending', 'queued', 'running', 'pausing', 'paused'] as const) {
    t.ok(canTransition(from, 'cancelling'), `${from} → cancelling`)
  }
})

t.test('every pair of states: the guarded UPDATE allows exactly the table', async (t) => {
  const f = engineFixture(t)
  const task = await f.createTask(sleepy)
  let checked = 0
  for (const from of all) {
    for (const to of all) {
      await f.db.updateTable('tasks').set({ status: from }).where('id', '=', task.id).execute()
      const attempt = f.engine.store.commit((trx, emit) => transitionTask(trx, emit, task.id, to))
      if (canTransition(from, to)) {
        const row = await attempt
        t.equal(row.status, to, `${from} → ${to} allowed`)
      } else {
        const error = await attempt.then(() => null, (e: unknown) => e)
        t.ok(error instanceof AppError && error.code === 'invalid_transition' && error.message.includes(`is ${from}`),
          `${from} → ${to} refused naming ${from}`)
        t.equal((await f.task(task.id)).status, from, 'status unchanged')
      }
      checked++
    }
  }
  t.equal(checked, all.length ** 2)
})

t.test('lifecycle methods from every state: allowed ones move, others are 409 naming the status', async (t) => {
  const f = engineFixture(t, { config: { MAX_PARALLEL_TASKS: 1 } })
  // Occupy the only slot so that a started task stays queued and the state of each case is stable.
  const blocker = await f.createTask(sleepy)
  await f.engine.start(blocker.id)
  const expected: Record<string, Partial<Record<TaskStatus, TaskStatus>>> = {
    start: { pending: 'queued' },
    pause: { running: 'pausing' },
    resume: { paused: 'queued' },
    // No runner holds these tasks, so even running/pausing ones finish cancelling at once (running ones with a
    // runner answer `cancelling`: see cancel.test.ts).
    cancel: { pending: 'cancelled', queued: 'cancelled', paused: 'cancelled', running: 'cancelled', pausing: 'cancelled' },
  }
  for (const action of ['start', 'pause', 'resume', 'cancel'] as const) {
    for (const from of all) {
      const task = await f.createTask(sleepy)
      await f.db.updateTable('tasks').set({ status: from }).where('id', '=', task.id).execute()
      const want = expected[action]![from]
      const result = await f.engine[action](task.id).then((row) => row, (e: unknown) => e as AppError)
      if (want) {
        t.equal((result as { status: string }).status, want, `${action} from ${from} → ${want}`)
        if (action === 'cancel') t.same(statusesOf(await f.events(task.id)), ['cancelling', 'cancelled'], 'through cancelling')
      } else {
        t.ok(result instanceof AppError, `${action} from ${from} is refused`)
        t.equal((result as AppError).code, 'invalid_transition')
        t.equal((result as AppError).status, 409)
        t.match((result as AppError).message, `is ${from}`)
        t.equal((result as AppError).extra?.current_status, from)
      }
      // Leave nothing to run: tasks forced into running/pausing have no runner here.
      await f.db.updateTable('tasks').set({ status: 'cancelled' }).where('id', '=', task.id).execute()
    }
  }
  await f.engine.cancel(blocker.id)
  await f.waitForStatus(blocker.id, 'cancelled')
})

t.test('concurrent requests racing on one task: exactly one wins', async (t) => {
  const f = engineFixture(t, { config: { MAX_PARALLEL_TASKS: 1 } })
  const blocker = await f.createTask(sleepy)
  await f.engine.start(blocker.id)
  const task = await f.createTask(sleepy)

  const starts = await Promise.allSettled(Array.from({ length: 10 }, () => f.engine.start(task.id)))
  t.equal(starts.filter((r) => r.status === 'fulfilled').length, 1, 'one start wins')
  t.equal(starts.filter((r) => r.status === 'rejected' && (r.reason as AppError).code === 'invalid_transition').length, 9)

  const mixed = await Promise.allSettled([
    f.engine.cancel(task.id), f.engine.cancel(task.id), f.engine.start(task.id), f.engine.cancel(task.id),
  ])
  t.equal(mixed.filter((r) => r.status === 'fulfilled').length, 1, 'one cancel wins')
  t.equal((await f.task(task.id)).status, 'cancelled')
  t.same(statusesOf(await f.events(task.id)), ['queued', 'cancelling', 'cancelled'], 'one status event per transition')

  // pause and cancel racing on a running task: both are allowed from running, but only one can be first,
  // and the second then acts on the new status (cancel from pausing is allowed; pause from cancelling is not).
  const results = await Promise.allSettled([f.engine.pause(blocker.id), f.engine.cancel(blocker.id)])
  t.ok(results[1]!.status === 'fulfilled', 'cancel wins or follows the pause')
  await f.waitForStatus(blocker.id, 'cancelled')
})
