import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { engineSite, runCollect, siteProvider } from './site-provider.js'
import { engineFixture, type EngineFixture } from '../engine/fixture.js'

// A detached exec through the jump, run by the engine: a lost connection, a pause and a shutdown only stop
// following it; the step re-attaches from its offsets, every line reaches the log once, the command runs once.
const root = t
const { site, cleaner, runs, uniq, config } = await engineSite(t, 'test-engine')

/** Appends one line to a counter file, prints lines 1..5, sleeps (unique duration, findable), prints 6..10. */
function detachedWorkflow(name: string, sleep: string) {
  const count = `~/.topup/runs/${runs}-${name}.count`
  return {
    name: `detached_${name}`,
    steps: [{
      id: 'job', display_name: 'job', type: 'exec', host: 'target',
      inputs: {
        command: `echo run >> ${count}; for i in 1 2 3 4 5; do echo "line $i"; sleep 0.1; done; ` +
          `sleep ${sleep}; for i in 6 7 8 9 10; do echo "line $i"; done; echo DONE`,
        // seen before the interruption only: the marker and the captured lines must survive the re-attach
        detached: true, require_marker: '^line 1$',
      },
      outputs: { last: { pattern: '^line (\\d+)$', all: true } },
    }],
  }
}

async function stdoutLines(f: EngineFixture, id: number): Promise<string[]> {
  const rows = await f.db.selectFrom('task_logs').select(['message', 'source']).where('task_id', '=', id).orderBy('seq').execute()
  return rows.filter((r) => r.source === 'stdout').map((r) => r.message)
}

async function outputs(f: EngineFixture, id: number) {
  const rows = await f.db.selectFrom('step_outputs').select(['output_name', 'output_value']).where('task_id', '=', id).execute()
  return rows.map((o) => [o.output_name, JSON.parse(o.output_value ?? 'null')])
}

async function counter(name: string): Promise<string[]> {
  return (await runCollect(cleaner, 'target', `cat ~/.topup/runs/${runs}-${name}.count`)).stdout
}

/** The command reaches its sleep (it was not killed when the step stopped following it); bounded. */
async function goesOn(pattern: string): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    if (site.targetProcesses(pattern).length === 1) return true
    await delay(50)
  }
  return false
}

const allLines = [...Array.from({ length: 10 }, (_, i) => `line ${i + 1}`), 'DONE']

async function attempts(f: EngineFixture, id: number) {
  return f.db.selectFrom('task_executions').select(['status', 'remote_handle', 'attempt']).where('task_id', '=', id).orderBy('id').execute()
}

t.test('the connection is killed mid-command, then the jump restarts: re-attached, every line once, ran once', async (t) => {
  const { provider } = siteProvider(t, site)
  const f = engineFixture(t, { transports: provider, config })
  const task = await f.createTask(detachedWorkflow('drop', `1.${uniq}1`))
  const unsubscribe = f.engine.bus.subscribe((e) => {
    if (e.task_id !== task.id || e.type !== 'log') return
    if (e.data.message === 'line 2') site.dropConnections()
    if (e.data.message === 'line 4') { site.kill('jump'); site.start('jump').catch((error: unknown) => t.error(error)) }
  })
  t.teardown(unsubscribe)
  await f.engine.start(task.id)
  const done = await f.waitForStatus(task.id, ['success', 'failed', 'paused'], 60_000)
  t.equal(done.status, 'success', done.error_message ?? '')
  t.same(await stdoutLines(f, task.id), allLines, 'every line once, in order')
  t.same(await counter('drop'), ['run'], 'the command ran once')
  t.same(await outputs(f, task.id), [['last', ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10']]])
})

t.test('pause stops following without killing; resume re-attaches from the offsets', async (t) => {
  const { provider } = siteProvider(t, site)
  const f = engineFixture(t, { transports: provider, config })
  const task = await f.createTask(detachedWorkflow('pause', `2.${uniq}2`))
  await f.engine.start(task.id)
  await f.waitForEvent(task.id, (e) => e.type === 'log' && e.data.message === 'line 3', 30_000)
  await f.engine.pause(task.id)
  const paused = await f.waitForStatus(task.id, ['paused', 'success', 'failed'], 10_000)
  t.equal(paused.status, 'paused', 'paused at once, before the command ended')
  t.equal(paused.resume_from_step, 'job')
  t.ok(await goesOn(`^sleep 2.${uniq}2`), 'the detached command still runs')
  await f.engine.resume(task.id)
  const done = await f.waitForStatus(task.id, ['success', 'failed', 'paused'], 60_000)
  t.equal(done.status, 'success', done.error_message ?? '')
  t.same(await stdoutLines(f, task.id), allLines)
  t.same(await counter('pause'), ['run'])
  t.same(await outputs(f, task.id), [['last', ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10']]], 'captures carried over')
  const rows = await attempts(f, task.id)
  t.same(rows.map((r) => r.status), ['interrupted', 'success'])
  t.equal(JSON.parse(rows[0]!.remote_handle!).dir, JSON.parse(rows[1]!.remote_handle!).dir, 'the same work folder')
})

t.test('shutdown leaves it running; the next engine continues it at recovery', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'topup-engine-'))
  root.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const { provider } = siteProvider(t, site)
  const f = engineFixture(t, { transports: provider, dir, config })
  const task = await f.createTask(detachedWorkflow('shutdown', `2.${uniq}3`))
  await f.engine.start(task.id)
  await f.waitForEvent(task.id, (e) => e.type === 'log' && e.data.message === 'line 2', 30_000)
  await f.engine.shutdown(10_000)
  t.equal((await f.task(task.id)).status, 'running', 'left for recovery')
  t.ok(await goesOn(`^sleep 2.${uniq}3`), 'the detached command still runs')

  const next = engineFixture(t, { transports: siteProvider(t, site).provider, dir, config })
  const report = await next.engine.recover()
  t.same(report.requeued, [task.id])
  const done = await next.waitForStatus(task.id, ['success', 'failed', 'paused'], 60_000)
  t.equal(done.status, 'success', done.error_message ?? '')
  t.same(await stdoutLines(next, task.id), allLines)
  t.same(await counter('shutdown'), ['run'])
  t.same(await outputs(next, task.id), [['last', ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10']]], 'captures carried over')
  t.same((await attempts(next, task.id)).map((r) => r.status), ['interrupted', 'success'])
})
