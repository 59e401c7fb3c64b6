import t from 'tap'
import { setTimeout as delay } from 'node:timers/promises'
import { engineSite, failure, runCollect, siteProvider } from './site-provider.js'
import { sshdSessions } from '../helpers/ssh-site.js'
import { engineFixture } from '../engine/fixture.js'
import type { TransportProvider } from '../../src/remote/transport-provider.js'

// A host whose sshd dies and comes back while the service runs: the dead connection leaves the pool at once,
// a command running on it fails as connection_lost, and the next command connects afresh, without a restart.
const { site, runs, uniq, cleaner } = await engineSite(t, 'test-reconnect')

async function until(check: () => boolean, ms = 20_000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await delay(25)) if (check()) return true
  return check()
}

/** Runs a long command on `host` and calls `fault` once it has printed its first line; resolves with its failure. */
async function faultDuringExec(t: { teardown(fn: () => unknown): void; ok(value: unknown, message: string): unknown }, provider: TransportProvider, host: string, tag: string, fault: () => void) {
  const sleep = `5${uniq}${tag}`
  t.teardown(() => { for (const pid of site.targetProcesses(`^sleep ${sleep}`)) process.kill(pid, 'SIGKILL') })
  let struck = false
  const started = Date.now()
  const lost = await failure(provider.transportFor(host).run({
    command: `echo up; sleep ${sleep}`, signal: AbortSignal.timeout(60_000),
    onLine: (_stream, line) => { if (line === 'up' && !struck) { struck = true; fault() } },
  }))
  t.ok(struck, 'the fault struck while the command ran')
  return { lost, ms: Date.now() - started }
}

for (const role of ['target', 'jump'] as const) {
  t.test(`the ${role} sshd dies during an exec on the target and comes back`, async (t) => {
    const { provider } = siteProvider(t, site)
    t.teardown(() => site.start(role))
    const { lost, ms } = await faultDuringExec(t, provider, 'target', role === 'target' ? '1' : '2', () => site.kill(role))
    t.equal(lost.kind, 'connection_lost', lost.message)
    t.ok(ms < 10_000, `the command failed promptly (${ms} ms), not at a timeout`)
    t.equal(provider.hostStatus('target').connected, false, 'the dead connection left the pool')
    await site.start(role)
    const again = await runCollect(provider, 'target', 'echo back')
    t.same(again.stdout, ['back'], 'the next command connects afresh')
    t.equal(provider.hostStatus('target').connected, true)
  })
}

t.test('a command on the jump itself fails when its sshd dies; the next one reconnects', async (t) => {
  const { provider } = siteProvider(t, site)
  t.teardown(() => site.start('jump'))
  let struck = false
  const lost = await failure(provider.transportFor('jump').run({
    command: 'echo up; sleep 600', signal: AbortSignal.timeout(60_000),
    onLine: (_stream, line) => { if (line === 'up' && !struck) { struck = true; site.kill('jump') } },
  }))
  t.equal(lost.kind, 'connection_lost', lost.message)
  t.equal(provider.hostStatus('jump').connected, false)
  await site.start('jump')
  t.same((await runCollect(provider, 'jump', 'echo back')).stdout, ['back'])
})

for (const [role, other, tag] of [['target', 'jump', '3'], ['jump', 'target', '6']] as const) {
  t.test(`a keepalive failure on the ${role} closes the ${other} connection too`, async (t) => {
    const { provider } = siteProvider(t, site, { extraHosts: { [role]: { ...site.hosts[role], keepalive_seconds: 1 } } })
    const stopped: number[] = []
    const resume = () => { for (const pid of stopped.splice(0)) try { process.kill(pid, 'SIGCONT') } catch { /* gone */ } }
    t.teardown(resume)
    const { lost, ms } = await faultDuringExec(t, provider, 'target', tag, () => {
      // that sshd stops answering (a hung host) without closing anything
      for (const pid of sshdSessions(site, role)) { process.kill(pid, 'SIGSTOP'); stopped.push(pid) }
    })
    t.equal(lost.kind, 'connection_lost', lost.message)
    t.ok(ms < 20_000, `after the missed keepalives (${ms} ms)`)
    t.ok(await until(() => !provider.hostStatus(other).connected), `the ${other} connection closed as well`)
    t.equal(provider.hostStatus(role).connected, false)
    resume()
    t.same((await runCollect(provider, 'target', 'echo back')).stdout, ['back'], 'both hops connect afresh')
  })
}

t.test('engine: an exec step running when the target died ends, the task pauses, and resumes once the target is back', async (t) => {
  const { provider } = siteProvider(t, site, { ssh: { killTimeoutMs: 3000 } })
  const f = engineFixture(t, { transports: provider })
  const sleep = `5${uniq}5`
  t.teardown(() => { for (const pid of site.targetProcesses(`^sleep ${sleep}`)) process.kill(pid, 'SIGKILL') })
  t.teardown(() => site.start('target'))
  // the first run prints "up" and sleeps; the run after the resume finds its mark and ends at once
  const once = `~/.topup/runs/${runs}-exec.once`
  const task = await f.createTask({
    steps: [{ id: 'job', display_name: 'job', type: 'exec', host: 'target', retry: { count: 1, delay_seconds: 0 },
      inputs: { command: `[ -e ${once} ] && exit 0; mkdir -p ~/.topup/runs && touch ${once}; echo up; sleep ${sleep}` } }],
  })
  let killed = false
  t.teardown(f.engine.bus.subscribe((e) => {
    if (e.task_id === task.id && e.type === 'log' && e.data.message === 'up' && !killed) { killed = true; site.kill('target') }
  }))
  await f.engine.start(task.id)
  const done = await f.waitForStatus(task.id, ['success', 'failed', 'paused'], 60_000)
  t.ok(killed)
  t.equal(done.status, 'paused', done.error_message ?? '')
  t.match(done.status_reason, /connection_lost/)
  const rows = await f.db.selectFrom('task_executions').select('status').where('task_id', '=', task.id).execute()
  t.same(rows.map((r) => r.status), ['failed'], 'the step is not left running')

  await site.start('target')
  await f.engine.resume(task.id)
  const again = await f.waitForStatus(task.id, ['success', 'failed', 'paused'], 60_000)
  t.equal(again.status, 'success', again.error_message ?? again.status_reason ?? '')
})

for (const role of ['target', 'jump'] as const) {
  t.test(`engine: the ${role} sshd dies during a wait and comes back; the wait goes on and ends`, async (t) => {
    const { provider } = siteProvider(t, site)
    const f = engineFixture(t, { transports: provider })
    const dir = `.topup/runs/${runs}-wait-${role}` // the file check takes it from the login folder
    await runCollect(cleaner, 'target', `mkdir -p ${dir}`)
    t.teardown(() => site.start(role))
    const task = await f.createTask({
      steps: [{ id: 'wait', display_name: 'wait', type: 'wait_for_files', host: 'target', retry: { count: 2, delay_seconds: 0 },
        inputs: { directory: dir, files: ['ready.txt'], poll_seconds: 0.5, max_wait_minutes: 1 } }],
    })
    let restarted: Promise<unknown> | null = null
    t.teardown(f.engine.bus.subscribe((e) => {
      if (e.task_id !== task.id || e.type !== 'log' || !/^0\/1 complete/.test(e.data.message) || restarted) return
      site.kill(role)
      restarted = site.start(role).then(() => runCollect(cleaner, 'target', `touch ${dir}/ready.txt`))
    }))
    await f.engine.start(task.id)
    const done = await f.waitForStatus(task.id, ['success', 'failed', 'paused'], 60_000)
    t.ok(restarted, 'the sshd died during the wait')
    await restarted
    t.equal(done.status, 'success', done.error_message ?? done.status_reason ?? '')
    const rows = await f.db.selectFrom('task_executions').select('status').where('task_id', '=', task.id).execute()
    t.notOk(rows.some((r) => r.status === 'running'), 'no step is left running')
  })
}
