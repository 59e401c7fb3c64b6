import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import pino from 'pino'
import t from 'tap'
import { openDatabase } from '../../src/db/connect.js'
import { createEngine, type EngineConfig } from '../../src/engine/engine.js'
import { stepRegistry } from '../../src/steps/registry.js'
import type { TaskEvent } from '../../src/domain.js'
import { smallDisk } from '../helpers/small-disk.js'
import { execStep, insertTask, statusesOf, testConfig } from './fixture.js'
import { until } from './until.js'

/** The engine's log lines, parsed, as they are written. */
function capturedLogger() {
  const lines: Record<string, unknown>[] = []
  const stream = new Writable({ write(chunk, _encoding, done) { lines.push(JSON.parse(String(chunk))); done() } })
  return { logger: pino({ level: 'info' }, stream), lines }
}

/** A real engine on a SQLite file on a small disk; its log lines captured. */
function engineOnSmallDisk(t: Parameters<typeof smallDisk>[0], config: Partial<EngineConfig> = {}) {
  const disk = smallDisk(t)
  const { db } = openDatabase(join(disk.dir, 'topup.db'))
  const { logger, lines } = capturedLogger()
  const engine = createEngine({
    db, logger, steps: stepRegistry,
    config: { ...testConfig, DATA_DIR: join(disk.dir, 'data'), STORAGE_RETRY_MAX_SECONDS: 0.2, ...config },
  })
  t.teardown(async () => {
    await engine.shutdown(2000)
    await db.destroy()
  })
  const seen: TaskEvent[] = []
  engine.bus.subscribe((e) => { seen.push(e) })
  const succeeded = (taskId: number) => until(`task ${taskId} to succeed`, () =>
    seen.find((e) => e.task_id === taskId && e.type === 'task.status' && e.data.status === 'success'))
  /** A task of one short step, put in `status` as if a process had left it there. */
  const leftAs = async (status: 'running' | 'queued') => {
    const task = await insertTask(db, { name: 'short', steps: [execStep('only', 'echo done')] }, {}, 'alice')
    const now = new Date().toISOString()
    await db.updateTable('tasks').set({ status, queued_at: now, ...(status === 'running' ? { started_at: now } : {}) })
      .where('id', '=', task.id).execute()
    return task
  }
  return { disk, db, engine, lines, seen, succeeded, leftAs }
}

t.test('a write that fails on a full disk strands no task: paused with the reason once space is back, its slot taken up', async (t) => {
  const { disk, db, engine, lines, seen, succeeded } = engineOnSmallDisk(t, { MAX_PARALLEL_TASKS: 1 })
  const outside = mkdtempSync(join(tmpdir(), 'topup-storage-gate-'))
  t.teardown(() => rmSync(outside, { recursive: true, force: true }))
  const gate = join(outside, 'go')
  const gated = await insertTask(db, {
    name: 'gated', steps: [
      execStep('wait', `until [ -e ${gate} ]; do sleep 0.05; done; echo released`),
      execStep('after', 'echo after'),
    ],
  }, {}, 'alice')
  const next = await insertTask(db, { name: 'next', steps: [execStep('only', 'echo next')] }, {}, 'bob')

  await engine.start(gated.id)
  await until('the gated step to run', () => seen.some((e) => e.task_id === gated.id && e.type === 'step.started'))
  await engine.start(next.id)
  t.equal((await engine.events.read(next.id, 0, 100)).at(-1)?.type, 'task.status')
  t.same(engine.running(), [gated.id], 'one slot, taken by the gated task; the next one waits queued')
  const committed = await engine.events.read(gated.id, 0, 1000)

  disk.fill()
  writeFileSync(gate, '')
  await until('the runner to find that it cannot write', () =>
    lines.find((l) => l.msg === 'task runner could not write to the database: the server\'s disk is full'))
  const logged = lines.find((l) => l.msg === 'task runner could not write to the database: the server\'s disk is full')!
  t.match(logged.err, { code: 'SQLITE_FULL', message: 'database or disk is full' }, 'the log shows the original error')
  t.notOk(lines.some((l) => JSON.stringify(l).includes('cannot rollback')), 'never the rollback that followed')
  const other = await insertTask(db, { name: 'other', steps: [execStep('x', 'true')] }, {}, 'carol').catch((e: unknown) => e)
  t.match(other, { code: 'SQLITE_FULL' }, 'every write fails meanwhile')
  t.same(engine.running(), [gated.id], 'the runner holds the task (and its slot) while it cannot record it')
  t.equal((await db.selectFrom('tasks').select('status').where('id', '=', gated.id).executeTakeFirstOrThrow()).status,
    'running', 'nothing could be written about it')

  // the line the step printed last is refused too, and kept for later
  await until('a log flush to be refused', () => lines.find((l) => l.msg === 'could not write task log lines'))
  disk.free()
  await until('the gated task to be paused', () =>
    seen.find((e) => e.task_id === gated.id && e.type === 'task.status' && e.data.status === 'paused'))
  const task = await db.selectFrom('tasks').selectAll().where('id', '=', gated.id).executeTakeFirstOrThrow()
  t.equal(task.status, 'paused')
  t.equal(task.status_reason, 'a database write failed (the server\'s disk is full, SQLITE_FULL) during step wait; '
    + 'check the step\'s work, then resume')
  t.equal(task.resume_from_step, 'wait', 'resuming runs the step whose end was not recorded')
  const executions = await db.selectFrom('task_executions').selectAll().where('task_id', '=', gated.id).execute()
  t.match(executions, [{ step_name: 'wait', status: 'failed', end_time: String,
    error_details: 'a database write failed (the server\'s disk is full, SQLITE_FULL): how this attempt ended could not be recorded' }])

  await succeeded(next.id)
  t.same(statusesOf(await engine.events.read(next.id, 0, 1000)).slice(-2), ['running', 'success'], 'the next task ran')

  const events = await engine.events.read(gated.id, 0, 1000)
  t.same(events.slice(0, committed.length), committed, 'every event committed before the disk filled is still there')
  t.same(events.map((e) => e.seq), events.map((_, i) => i + 1), 'seqs stay gapless')
  t.same(statusesOf(events), ['queued', 'running', 'paused'])
  const released = events.find((e) => e.type === 'log' && e.data.message === 'released')
  const pausedAt = events.find((e) => e.type === 'task.status' && e.data.status === 'paused')!
  t.ok(released && released.seq < pausedAt.seq, 'the line the step printed while the disk was full was kept, and written first')

  await engine.resume(gated.id)
  await succeeded(gated.id)
  t.ok(existsSync(gate))
})

t.test('a claim that the full disk refused is tried again once space is back', async (t) => {
  const { disk, engine, lines, succeeded, leftAs } = engineOnSmallDisk(t)
  const queued = await leftAs('queued')
  disk.fill()
  await engine.recover()
  await until('the claim to fail', () => lines.find((l) => l.msg === 'scheduler could not claim a task'))
  t.match(lines.find((l) => l.msg === 'scheduler could not claim a task'), { err: { code: 'SQLITE_FULL' } })
  t.same(engine.running(), [], 'nothing runs meanwhile')
  disk.free()
  await succeeded(queued.id)
  t.same(statusesOf(await engine.events.read(queued.id, 0, 100)), ['running', 'success'], 'claimed once writes work')
})

t.test('a recovery at start that the full disk refused is tried again once space is back', async (t) => {
  const { disk, engine, succeeded, leftAs } = engineOnSmallDisk(t)
  // left running by a process that is gone (claimed, no step begun)
  const orphan = await leftAs('running')
  disk.fill()
  const report = await engine.recover()
  t.same(report.unrecorded, [orphan.id], 'the recovery of the orphaned task could not be written')
  t.same(report.requeued, [])
  disk.free()
  await succeeded(orphan.id)
  t.same(statusesOf(await engine.events.read(orphan.id, 0, 100)), ['queued', 'running', 'success'], 'recovered, then run')
})
