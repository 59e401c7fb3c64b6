import t from 'tap'
import { buildTestApp } from '../helpers/app.js'
import { startSshSite } from '../helpers/ssh-site.js'
import { runCollect, siteProvider } from '../remote/site-provider.js'
import { parseScrape } from './prom-text.js'

const METRICS_TOKEN = 'metrics-test-token-0123456789abcdef'
const site = await startSshSite(t)

interface Ready { status?: string; code?: string; checks: { database: { ok: boolean }; workflows: { ok: boolean }; hosts: Array<Record<string, unknown>> } }

t.test('the SSH pool per host in /metrics and /api/ready, through a host going down', async (t) => {
  const { provider } = siteProvider(t, site, { downAfter: 3, connection: { backoffBaseMs: 1, backoffMaxMs: 5 } })
  const { app } = await buildTestApp(t, { transports: provider, env: { METRICS_TOKEN } })
  const scrape = async () => {
    const res = await app.inject({ url: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
    t.equal(res.statusCode, 200)
    return parseScrape(res.body)
  }
  const ready = async () => {
    const res = await app.inject({ url: '/api/ready' })
    return { status: res.statusCode, body: res.json() as Ready }
  }

  const idle = await scrape()
  t.same(idle.samples('topup_ssh_connections').map((s) => s.labels.host).sort(), ['jump', 'jump-key', 'target', 'target-key'],
    'every SSH host of HOSTS_FILE')
  t.equal(idle.value('topup_ssh_connections', { host: 'target' }), 0, 'no connection before the first use')
  t.match((await ready()).body.checks.hosts, [{ host: 'jump', state: 'idle', consecutive_failures: 0, last_error_kind: null }])

  t.equal((await runCollect(provider, 'target', 'echo hi')).stdout.join(), 'hi')
  const used = await scrape()
  t.equal(used.value('topup_ssh_connections', { host: 'target' }), 1)
  t.equal(used.value('topup_ssh_connections', { host: 'jump' }), 1, 'the jump\'s connection carries it')
  t.equal(used.value('topup_ssh_channels_in_use', { host: 'target' }), 0, 'the channel was given back')
  t.equal(used.value('topup_ssh_channels_queued', { host: 'target' }), 0)
  t.equal(used.value('topup_ssh_exec_latency_seconds_count', { host: 'target' }), 1, 'one exec channel opened')
  t.equal(used.value('topup_ssh_host_down', { host: 'target' }), 0)
  const up = await ready()
  t.equal(up.status, 200)
  t.match(up.body.checks.hosts.find((h) => h.host === 'target'), { state: 'connected', channels_in_use: 0, max_sessions: Number })

  site.kill('target')
  // The first command may still find the old connection and lose it; the attempts after it fail to connect.
  for (let i = 0; i < 6 && !provider.hostStatus('target').down; i++) {
    await t.rejects(runCollect(provider, 'target', 'echo hi', AbortSignal.timeout(30_000)), `command ${i + 1} fails`)
  }
  const down = await scrape()
  t.equal(down.value('topup_ssh_host_down', { host: 'target' }), 1, 'the host counts as down')
  t.equal(down.value('topup_ssh_connections', { host: 'target' }), 0)
  const failures = down.samples('topup_ssh_connect_failures_total').filter((s) => s.labels.host === 'target')
  t.equal(failures.reduce((sum, s) => sum + s.value, 0), 3, 'three failed attempts')
  t.ok(failures.every((s) => /^[a-z_]+$/.test(s.labels.kind!)), `by kind: ${failures.map((s) => s.labels.kind).join(', ')}`)
  const stillReady = await ready()
  t.equal(stillReady.status, 200, 'a host down pauses its tasks, it does not make the service unready')
  t.match(stillReady.body.checks.hosts.find((h) => h.host === 'target'), { state: 'down', consecutive_failures: 3, last_error_kind: String })
})

t.test('/api/ready answers 503 when no workflow is loaded, or the database does not take a write', async (t) => {
  const empty = await buildTestApp(t, { workflows: [] })
  const none = await empty.app.inject({ url: '/api/ready' })
  t.equal(none.statusCode, 503)
  t.match(none.headers['content-type'], /^application\/problem\+json/)
  t.match(none.json(), { code: 'service_unavailable', detail: /no workflow is loaded/, checks: { database: { ok: true }, workflows: { ok: false, loaded: 0 } } })

  const { app, db } = await buildTestApp(t)
  t.equal((await app.inject({ url: '/api/ready' })).statusCode, 200)
  await db.destroy()
  const broken = await app.inject({ url: '/api/ready' })
  t.equal(broken.statusCode, 503)
  t.match(broken.json(), { code: 'service_unavailable', detail: /the database does not take a write/, checks: { database: { ok: false }, workflows: { ok: true } } })
})

t.test('/metrics is off unless METRICS_TOKEN or METRICS_PORT is set', async (t) => {
  const { app } = await buildTestApp(t)
  const res = await app.inject({ url: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
  t.equal(res.statusCode, 404)
  t.equal(res.json().code, 'route_not_found')

  const on = await buildTestApp(t, { env: { METRICS_TOKEN } })
  await on.app.ready()
  const paths = (on.app.swagger() as { paths: Record<string, { get?: { tags?: string[] } }> }).paths
  t.same(paths['/metrics']?.get?.tags, ['system'], 'listed in the OpenAPI document when on')
  t.ok(paths['/api/ready'], '/api/ready too')
})
