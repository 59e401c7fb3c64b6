import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import type { TaskEvent } from '../../src/domain.js'
import { engineFixture, execStep, type EngineFixture, type TestWorkflow } from './fixture.js'

/**
 * The workflow `concurrency` setting, on the real engine: the tasks of one round work in the same folders, so
 * a second one waits `queued` — across the first one's review pause — and says for what, until the first ends.
 */

/** Two stages with a review pause between them; each stage writes "<task> <stage>" to the shared `order` file. */
function roundFlow(dir: string, extra: Partial<TestWorkflow> = {}): TestWorkflow {
  const order = join(dir, 'order')
  return {
    name: 'round_flow',
    parameters: {
      round: { type: 'string', required: true },
      end: { type: 'string', default: '0', pattern: '^[0-9]+$' },
      gate: { type: 'string', default: '' },
    },
    concurrency: { key: 'round-{{ params.round }}', limit: 1 },
    steps: [
      execStep('stage1', `echo {{ task.id }} stage1 >> ${order}`, { pause_after: true }),
      execStep('stage2', `echo {{ task.id }} stage2 >> ${order}; exit {{ params.end }}`),
    ],
    ...extra,
  }
}

const orderOf = (dir: string) => readFileSync(join(dir, 'order'), 'utf8').trim().split('\n')

/** The reasons of a task's status events that kept it queued, in order. */
async function waitReasons(f: EngineFixture, id: number): Promise<(string | null)[]> {
  return (await f.events(id)).flatMap((e) => e.type === 'task.status' && e.data.status === 'queued' ? [e.data.reason] : [])
}

/** Every task.status event from now on, in the order the engine published them (across tasks). */
function statusLog(f: EngineFixture): string[] {
  const log: string[] = []
  f.engine.bus.subscribe((e: TaskEvent) => { if (e.type === 'task.status') log.push(`${e.task_id} ${e.data.status}`) })
  return log
}

t.test('a second task of a round waits queued while the first is paused for review; others run meanwhile', async (t) => {
  // One slot: the waiting task must not take it, nor keep the tasks behind it from theirs.
  const f = engineFixture(t, { config: { MAX_PARALLEL_TASKS: 1 } })
  const flow = roundFlow(f.dir)
  const first = await f.createTask(flow, { round: 'round18' })
  const second = await f.createTask(flow, { round: 'round18' })
  const other = await f.createTask(flow, { round: 'round19' })
  const plain = await f.createTask({ steps: [execStep('plain', 'true')] })
  t.equal(first.concurrency_key, 'round-round18', 'the key is rendered when the task is created')
  t.equal(plain.concurrency_key, null)
  const log = statusLog(f)

  await f.engine.start(first.id)
  t.match(await f.waitForStatus(first.id, 'paused'), { status_reason: 'waiting for review' })
  const waiting = await f.engine.start(second.id)
  t.match(waiting, { status: 'queued', status_reason: `waiting for task ${first.id} of round-round18, paused for review` })

  // Another round and a task without a key pass the waiting one.
  await f.engine.start(other.id)
  await f.engine.start(plain.id)
  await f.waitForStatus(other.id, 'paused')
  await f.waitForStatus(plain.id, 'success')
  t.match(await f.task(second.id), { status: 'queued', started_at: null }, 'still waiting, never started')

  await f.engine.resume(first.id)
  await f.waitForStatus(first.id, 'success')
  t.match(await f.waitForStatus(second.id, 'paused'), { status_reason: 'waiting for review' }, 'runs once the first has ended')
  t.ok(log.indexOf(`${second.id} running`) > log.indexOf(`${first.id} success`), 'claimed after the first ended')
  t.same(await waitReasons(f, second.id), [
    null,
    `waiting for task ${first.id} of round-round18, paused for review`,
    `waiting for task ${first.id} of round-round18, queued to go on`,
    `waiting for task ${first.id} of round-round18, running`,
  ], 'the reason follows the first task\'s status')
  t.same(orderOf(f.dir), [`${first.id} stage1`, `${other.id} stage1`, `${first.id} stage2`, `${second.id} stage1`],
    'the round\'s stages never interleave')
})

for (const end of ['success', 'failed', 'cancelled'] as const) {
  t.test(`the waiting task is claimed as soon as the one it waits for ends: ${end}`, async (t) => {
    const f = engineFixture(t)
    const flow = roundFlow(f.dir)
    const first = await f.createTask(flow, { round: 'round18', end: end === 'failed' ? '3' : '0' })
    const second = await f.createTask(flow, { round: 'round18' })
    await f.engine.start(first.id)
    await f.waitForStatus(first.id, 'paused')
    await f.engine.start(second.id)
    if (end === 'cancelled') await f.engine.cancel(first.id)
    else await f.engine.resume(first.id)
    t.equal((await f.waitForStatus(first.id, ['success', 'failed', 'cancelled'])).status, end)
    t.match(await f.waitForStatus(second.id, 'paused'), { status_reason: 'waiting for review' })
  })
}

t.test('a restart keeps the rule: the recovered task holds the key, the waiting one still waits', async (t) => {
  const config = { SHUTDOWN_GRACE_SECONDS: 0 }
  const f = engineFixture(t, { config })
  const gate = join(f.dir, 'go')
  // stage1 waits for the test's gate; idempotent, so recovery queues the task to run it again
  const flow = roundFlow(f.dir, {
    steps: [
      execStep('stage1', `echo {{ task.id }} stage1 | tee -a ${join(f.dir, 'order')}; until [ -e ${gate} ]; do sleep 0.05; done`,
        { idempotent: true }),
      execStep('stage2', `echo {{ task.id }} stage2 >> ${join(f.dir, 'order')}`),
    ],
  })
  const first = await f.createTask(flow, { round: 'round18' })
  const second = await f.createTask(flow, { round: 'round18' })
  await f.engine.start(first.id)
  // the command's own line: the step has begun, and its command runs
  await f.waitForEvent(first.id, (e) => e.type === 'log' && e.data.message === `${first.id} stage1`)
  t.match(await f.engine.start(second.id), { status: 'queued', status_reason: `waiting for task ${first.id} of round-round18, running` })
  await f.engine.shutdown(0)
  t.equal((await f.task(first.id)).status, 'running', 'left for recovery')

  const next = engineFixture(t, { dir: f.dir, config })
  const log = statusLog(next)
  t.same((await next.engine.recover()).requeued, [first.id])
  await next.waitForEvent(first.id, (e) => e.type === 'step.started')
  t.match(await next.task(second.id), { status: 'queued', started_at: null,
    status_reason: `waiting for task ${first.id} of round-round18, running` })
  writeFileSync(gate, '')
  await next.waitForStatus(first.id, 'success')
  await next.waitForStatus(second.id, 'success')
  t.ok(log.indexOf(`${second.id} running`) > log.indexOf(`${first.id} success`), 'claimed only after the first ended')
  t.same(orderOf(f.dir), [`${first.id} stage1`, `${first.id} stage1`, `${first.id} stage2`, `${second.id} stage1`, `${second.id} stage2`])
})

t.test('a limit above 1: that many run together, the next waits naming them all', async (t) => {
  const f = engineFixture(t)
  const flow = roundFlow(f.dir, { concurrency: { key: 'round-{{ params.round }}', limit: 2 } })
  const tasks = [await f.createTask(flow, { round: 'round18' }), await f.createTask(flow, { round: 'round18' }),
    await f.createTask(flow, { round: 'round18' })]
  const [a, b, c] = tasks.map((task) => task.id) as [number, number, number]
  await f.engine.start(a)
  await f.waitForStatus(a, 'paused')
  await f.engine.start(b)
  await f.waitForStatus(b, 'paused')
  t.match(await f.engine.start(c), {
    status: 'queued', status_reason: `waiting for tasks ${a} (paused for review) and ${b} (paused for review) of round-round18, at most 2 at a time`,
  })
  await f.engine.cancel(b)
  t.match(await f.waitForStatus(c, 'paused'), { status_reason: 'waiting for review' })
})
