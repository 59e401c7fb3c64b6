import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { retryDelaySeconds, retryPolicyOf, JITTER } from '../../src/engine/retry-policy.js'
import { engineFixture, execStep, testConfig } from './fixture.js'

t.test('retry delay: the step\'s base (else the config\'s), doubling, capped, with bounded jitter', async (t) => {
  const config = { ...testConfig, MAX_RETRY_ATTEMPTS: 3, RETRY_DELAY_SECONDS: 60, RETRY_MAX_DELAY_SECONDS: 900 }
  t.same(retryPolicyOf({}, config), { maxRetries: 3, baseDelaySeconds: 60, maxDelaySeconds: 900 })
  const policy = retryPolicyOf({ retry: { count: 5, delay_seconds: 10 } }, config)
  t.same(policy, { maxRetries: 5, baseDelaySeconds: 10, maxDelaySeconds: 900 })
  const mid = (retry: number) => retryDelaySeconds(policy, retry, 0.5)
  t.same([1, 2, 3, 4].map(mid), [10, 20, 40, 80], 'no jitter at the middle: doubling')
  t.equal(mid(10), 900, 'capped')
  t.equal(retryDelaySeconds(policy, 1, 0), 10 * (1 - JITTER), 'lowest jitter')
  t.equal(retryDelaySeconds(policy, 1, 0.999999), 10 * (1 + JITTER) - 10 * 2 * JITTER * 0.000001, 'highest jitter')
  t.equal(retryDelaySeconds(policy, 20, 0.999), 900, 'jitter never goes past the cap')
  t.equal(retryDelaySeconds({ ...policy, baseDelaySeconds: 0 }, 3, 0.7), 0)
})

t.test('a flaky command is retried, each attempt its own execution row', async (t) => {
  const f = engineFixture(t)
  const counter = join(f.dir, 'count')
  // Fails on the first two runs, succeeds on the third.
  const command = `n=$(cat ${counter} 2>/dev/null || echo 0); echo $((n + 1)) > ${counter}; echo "run $((n + 1))"; [ "$n" -ge 2 ]`
  const task = await f.createTask({ steps: [execStep('flaky', command, { retry: { count: 3, delay_seconds: 0.1 } })] })
  const started = Date.now()
  await f.engine.start(task.id)
  const done = await f.waitForStatus(task.id, ['success', 'failed'])
  t.equal(done.status, 'success')
  t.equal(readFileSync(counter, 'utf8').trim(), '3', 'ran three times')
  const rows = await f.db.selectFrom('task_executions').selectAll().where('task_id', '=', task.id).orderBy('id').execute()
  t.same(rows.map((r) => [r.attempt, r.retry_count, r.status]), [[1, 0, 'failed'], [2, 1, 'failed'], [3, 2, 'success']])
  const retries = (await f.events(task.id)).flatMap((e) => e.type === 'step.retry' ? [e.data] : [])
  t.equal(retries.length, 2)
  t.same(retries.map((r) => r.attempt), [2, 3])
  t.ok(retries[0]!.delay_seconds >= 0.08 && retries[0]!.delay_seconds <= 0.12, 'first delay ≈ 0.1 s')
  t.ok(retries[1]!.delay_seconds >= 0.16 && retries[1]!.delay_seconds <= 0.24, 'second delay ≈ 0.2 s (doubled)')
  t.ok(Date.now() - started >= 240, 'the delays were waited')
})

t.test('retries run out: on_failure stop fails the task naming the step and the reason', async (t) => {
  const f = engineFixture(t, { config: { MAX_RETRY_ATTEMPTS: 1, RETRY_DELAY_SECONDS: 0 } })
  const task = await f.createTask({ steps: [execStep('broken', 'exit 3'), execStep('after', 'true')] })
  await f.engine.start(task.id)
  const done = await f.waitForStatus(task.id, ['success', 'failed'])
  t.equal(done.status, 'failed')
  t.match(done.error_message, /^step broken failed: .*exit code 3/)
  const rows = await f.db.selectFrom('task_executions').select(['step_name', 'status']).where('task_id', '=', task.id).execute()
  t.same(rows, [{ step_name: 'broken', status: 'failed' }, { step_name: 'broken', status: 'failed' }],
    'MAX_RETRY_ATTEMPTS=1 → two attempts; the next step never ran')
})

t.test('a non-retryable failure is not retried; on_failure continue goes on', async (t) => {
  const f = engineFixture(t, { config: { MAX_RETRY_ATTEMPTS: 3 } })
  const task = await f.createTask({
    steps: [
      // A missing required marker is not something a retry can fix.
      execStep('no_marker', 'echo hello', { inputs: { command: 'echo hello', require_marker: '^DONE$' }, on_failure: 'continue' }),
      execStep('next', 'echo next'),
    ],
  })
  await f.engine.start(task.id)
  const done = await f.waitForStatus(task.id, ['success', 'failed'])
  t.equal(done.status, 'success')
  const rows = await f.db.selectFrom('task_executions').select(['step_name', 'status']).where('task_id', '=', task.id).orderBy('id').execute()
  t.same(rows, [{ step_name: 'no_marker', status: 'failed' }, { step_name: 'next', status: 'success' }])
})

t.test('a step that runs past its timeout is stopped with status timeout, a failure', async (t) => {
  const f = engineFixture(t)
  const pidFile = join(f.dir, 'pid')
  const task = await f.createTask({
    steps: [execStep('slow', `echo $$ > ${pidFile}; sleep 30`, { timeout_minutes: 0.01, retry: { count: 0 } })],
  })
  const started = Date.now()
  await f.engine.start(task.id)
  const done = await f.waitForStatus(task.id, ['success', 'failed'])
  t.ok(Date.now() - started < 10_000, 'stopped long before the command would have ended')
  t.equal(done.status, 'failed')
  t.match(done.error_message, /step slow failed: timed out after 0\.01 minute/)
  const [row] = await f.db.selectFrom('task_executions').selectAll().where('task_id', '=', task.id).execute()
  t.equal(row!.status, 'timeout')
  const pid = Number(readFileSync(pidFile, 'utf8'))
  t.throws(() => process.kill(pid, 0), 'the timed-out command is gone')
})

t.test('DEFAULT_TIMEOUT_MINUTES applies when a step sets none; a timeout is retried like a failure', async (t) => {
  const f = engineFixture(t, { config: { DEFAULT_TIMEOUT_MINUTES: 0.005 as number, MAX_RETRY_ATTEMPTS: 1 } })
  const task = await f.createTask({ steps: [execStep('slow', 'sleep 30')] })
  await f.engine.start(task.id)
  const done = await f.waitForStatus(task.id, ['success', 'failed'])
  t.equal(done.status, 'failed')
  const rows = await f.db.selectFrom('task_executions').select(['status', 'attempt']).where('task_id', '=', task.id).execute()
  t.same(rows, [{ status: 'timeout', attempt: 1 }, { status: 'timeout', attempt: 2 }])
})
