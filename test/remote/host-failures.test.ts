import t from 'tap'
import { startSshSite } from '../helpers/ssh-site.js'
import { siteProvider } from './site-provider.js'
import { engineFixture, type EngineFixture } from '../engine/fixture.js'

// What the engine does when the target cannot be reached: a host that keeps failing pauses the task with the
// reason instead of burning its retries; a wrong password is not retried at all.
const site = await startSshSite(t)
const workflow = (type: 'exec' | 'wait_for_files' = 'exec') => ({
  steps: [type === 'exec'
    ? { id: 'remote', display_name: 'remote', type: 'exec', host: 'target', inputs: { command: 'echo reached' } }
    : { id: 'remote', display_name: 'remote', type: 'wait_for_files', host: 'target',
      inputs: { directory: '/tmp', files: ['never-there-*'], poll_seconds: 0.2, max_wait_minutes: 1 } }],
})
const many = { MAX_RETRY_ATTEMPTS: 20, RETRY_DELAY_SECONDS: 0 }

async function attempts(f: EngineFixture, id: number) {
  return f.db.selectFrom('task_executions').select(['status', 'error_details']).where('task_id', '=', id).orderBy('id').execute()
}

t.test('the jump is down: after 3 failed connections the task pauses naming the host and the error', async (t) => {
  const { provider } = siteProvider(t, site, { downAfter: 3 })
  const f = engineFixture(t, { transports: provider, config: many })
  site.kill('jump')
  t.teardown(() => site.start('jump'))
  const task = await f.createTask(workflow())
  await f.engine.start(task.id)
  const paused = await f.waitForStatus(task.id, ['paused', 'failed', 'success'], 60_000)
  t.equal(paused.status, 'paused')
  t.match(paused.status_reason, /^host target unreachable: jump_host_down: .*jump/)
  t.equal(paused.resume_from_step, 'remote')
  const tried = await attempts(f, task.id)
  t.equal(tried.length, 3, 'three attempts, not twenty')
  t.match(tried.at(-1)!.error_details, /jump_host_down/)

  // The host is back: resuming runs the step.
  await site.start('jump')
  await f.engine.resume(task.id)
  const done = await f.waitForStatus(task.id, ['success', 'failed', 'paused'], 60_000)
  t.equal(done.status, 'success', done.status_reason ?? done.error_message ?? '')
})

t.test('a wrong password fails the step at once, without retries', async (t) => {
  for (const type of ['exec', 'wait_for_files'] as const) {
    const { provider } = siteProvider(t, site, { env: { ...site.env, TOPUP_TEST_TARGET_PASSWORD: 'not the password' } })
    const f = engineFixture(t, { transports: provider, config: many })
    const task = await f.createTask(workflow(type))
    await f.engine.start(task.id)
    const failed = await f.waitForStatus(task.id, ['failed', 'paused', 'success'], 60_000)
    t.equal(failed.status, 'failed', type)
    t.match(failed.error_message, /^step remote failed: auth_failed \(jump -> target\): authentication failed at target/, type)
    t.equal((await attempts(f, task.id)).length, 1, `${type}: one attempt`)
  }
})
