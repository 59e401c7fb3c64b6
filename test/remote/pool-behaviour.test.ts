import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { setTimeout as delay } from 'node:timers/promises'
import pino from 'pino'
import { connectionsTo, engineSite, runCollect, siteProvider } from './site-provider.js'
import { engineFixture } from '../engine/fixture.js'
import { freshDatabase } from '../helpers/db.js'
import { SITE_USERS } from '../helpers/ssh-site.js'
import { createTransportProvider } from '../../src/remote/transport-provider.js'
import { TransportError } from '../../src/remote/transport.js'

// The connection pool against the real site: an idle connection closes and comes back on demand, reconnects
// to a host never start more often than its max_connects_per_minute, and a step timeout ends the remote command.
const { site, cleaner, uniq, config } = await engineSite(t, 'test-pool')

/** Established TCP connections to `address:port` (client side), seen from the site's namespace or from the root one. */
/** Logins the jump's or the target's sshd accepted so far. */
function logins(role: 'jump' | 'target'): number {
  const log = readFileSync(join(site.dir, `${role}.log`), 'utf8')
  return log.split('\n').filter((l) => l.includes(`Accepted password for ${SITE_USERS[role].name}`)).length
}

async function until(check: () => boolean | Promise<boolean>, ms = 10_000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await delay(25)) if (await check()) return true
  return check()
}

t.test('an idle connection closes after idle_close_seconds; the next command reconnects', async (t) => {
  const { provider } = siteProvider(t, site, { extraHosts: { target: { ...site.hosts.target, idle_close_seconds: 1 } } })
  const before = connectionsTo('127.0.0.1', site.ports.target, site.netns)
  const loginsBefore = logins('target')
  t.equal((await runCollect(provider, 'target', 'true')).exitCode, 0)
  t.equal(provider.hostStatus('target').connected, true, 'still connected right after the command')
  t.equal(connectionsTo('127.0.0.1', site.ports.target, site.netns), before + 1, 'one connection from the jump to the target')
  const started = Date.now()
  t.ok(await until(() => connectionsTo('127.0.0.1', site.ports.target, site.netns) === before, 10_000), 'the connection to the target closes')
  t.ok(Date.now() - started < 10_000, 'within a bounded time')
  t.equal(provider.hostStatus('target').connected, false, 'the pool reports it closed')
  t.equal(provider.hostStatus('target').consecutiveFailures, 0, 'an idle close is not a failure')

  const again = await runCollect(provider, 'target', 'echo back')
  t.same(again.stdout, ['back'], 'the next command reconnects and works')
  t.equal(logins('target'), loginsBefore + 2, 'by a second login')
})

t.test('max_connects_per_minute caps reconnects: the third connect in a minute waits instead of failing', async (t) => {
  const records: Array<{ msg?: string; host?: string; wait_ms?: number }> = []
  const sink = new Writable({ write(chunk, _enc, done) { records.push(JSON.parse(String(chunk))); done() } })
  const provider = createTransportProvider({
    config: {
      HOSTS_FILE: site.writeHostsFile({ jump: { ...site.hosts.jump, max_connects_per_minute: 2 } }),
      KNOWN_HOSTS_FILE: site.writeKnownHosts(), KNOWN_HOSTS_POLICY: 'strict',
    },
    db: freshDatabase(t).db, env: site.env, logger: pino({ level: 'debug' }, sink),
    connection: { backoffBaseMs: 50, backoffMaxMs: 200 },
  })
  t.teardown(() => provider.close())
  const start = logins('jump')
  const open = connectionsTo(site.jumpAddress, site.ports.jump)
  for (let i = 1; i <= 2; i++) {
    t.equal((await runCollect(provider, 'jump', 'true')).exitCode, 0, `command ${i} runs`)
    t.equal(logins('jump'), start + i, `connect ${i} reached the jump`)
    t.equal(connectionsTo(site.jumpAddress, site.ports.jump), open + 1, `connection ${i} is open`)
    site.dropConnections()
    t.ok(await until(() => !provider.hostStatus('jump').connected), `connection ${i} dropped`)
  }

  const abort = new AbortController()
  let settled = false
  const pending = [1, 2, 3].map(() => runCollect(provider, 'jump', 'true', abort.signal).finally(() => { settled = true }))
  const delayed = () => records.find((r) => r.msg === 'ssh reconnect delayed' && r.host === 'jump')
  t.ok(await until(() => delayed() !== undefined), 'the third connect is delayed')
  t.ok(delayed()!.wait_ms! > 50_000, `until the minute of the first connect is over (${delayed()!.wait_ms} ms)`)
  t.equal(settled, false, 'the waiting commands have not failed')
  t.equal(logins('jump'), start + 2, 'no third login reached the jump')
  t.equal(connectionsTo(site.jumpAddress, site.ports.jump), open, 'no new connection to the jump is open')
  t.equal(provider.hostStatus('jump').consecutiveFailures, 0, 'waiting is not counted as a failure')

  abort.abort('test over')
  const outcomes = await Promise.allSettled(pending)
  for (const o of outcomes) {
    t.equal(o.status, 'rejected')
    if (o.status === 'rejected') t.notOk(o.reason instanceof TransportError, 'ended by the abort, not by a connection error')
  }
  t.equal(logins('jump'), start + 2, 'still only two logins')
})

t.test('a step timeout over SSH ends the step as timeout and leaves no process on the target', async (t) => {
  const { provider } = siteProvider(t, site)
  const f = engineFixture(t, { transports: provider, config })
  const sleep = `4${uniq}`
  t.teardown(() => { for (const pid of site.targetProcesses(`^sleep ${sleep}`)) process.kill(pid, 'SIGKILL') })
  const task = await f.createTask({
    steps: [{ id: 'slow', display_name: 'slow', type: 'exec', host: 'target', inputs: { command: `sleep ${sleep}` },
      timeout_minutes: 0.02, retry: { count: 0 } }],
  })
  await f.engine.start(task.id)
  const seen = until(() => site.targetProcesses(`^sleep ${sleep}`).length > 0, 30_000)
  const done = await f.waitForStatus(task.id, ['success', 'failed', 'paused'], 60_000)
  t.ok(await seen, 'the command did run on the target')
  t.equal(done.status, 'failed')
  t.match(done.error_message, /step slow failed: timed out/)
  const rows = await f.db.selectFrom('task_executions').select('status').where('task_id', '=', task.id).execute()
  t.same(rows, [{ status: 'timeout' }])
  const left = async () => (await runCollect(cleaner, 'target', `pgrep -u "$(id -u)" -f '^sleep ${sleep}' || true`)).stdout
  t.ok(await until(async () => (await left()).length === 0, 10_000), `no "sleep ${sleep}" is left on the target`)
  t.same(site.targetProcesses(`^sleep ${sleep}`), [], 'nor seen from outside')
})
