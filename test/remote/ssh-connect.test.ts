import t from 'tap'
import { setTimeout as delay } from 'node:timers/promises'
import { startSshSite, SITE_USERS } from '../helpers/ssh-site.js'
import { connectionsTo, failure, siteProvider, runCollect } from './site-provider.js'

const site = await startSshSite(t)

t.test('password authentication on both hops, through the jump', async (t) => {
  const { provider } = siteProvider(t, site)
  const r = await runCollect(provider, 'target', 'whoami; echo "$SSH_CONNECTION"')
  t.equal(r.exitCode, 0)
  t.equal(r.stdout[0], SITE_USERS.target.name)
  t.match(r.stdout[1], /^127\.0\.0\.1 \d+ 127\.0\.0\.1 2223$/, 'the target saw the connection come from the jump')
  const j = await runCollect(provider, 'jump', 'whoami')
  t.same(j.stdout, [SITE_USERS.jump.name], 'the jump itself is usable as a host')
})

t.test('key authentication variant', async (t) => {
  const { provider } = siteProvider(t, site)
  const r = await runCollect(provider, 'target-key', 'whoami')
  t.same(r.stdout, [SITE_USERS.target.name])
})

t.test('wrong password: auth_failed, not retryable, names the hop', async (t) => {
  const { provider } = siteProvider(t, site, { env: { ...site.env, TOPUP_TEST_TARGET_PASSWORD: 'wrong' } })
  const e = await failure(runCollect(provider, 'target', 'true'))
  t.equal(e.kind, 'auth_failed')
  t.equal(e.retryable, false)
  t.match(e.message, /target \(127\.0\.0\.1:2223\)/)
  t.equal(e.hostChain, 'jump -> target')
  t.notMatch(e.message, /wrong/, 'the password is not in the message')
})

t.test('wrong jump password is auth_failed of the jump', async (t) => {
  const { provider } = siteProvider(t, site, { env: { ...site.env, TOPUP_TEST_JUMP_PASSWORD: 'wrong' } })
  const e = await failure(runCollect(provider, 'target', 'true'))
  t.equal(e.kind, 'auth_failed')
  t.match(e.message, /jump \(/)
})

t.test('missing password variable', async (t) => {
  const { provider } = siteProvider(t, site, { env: { TOPUP_TEST_JUMP_PASSWORD: SITE_USERS.jump.password } })
  const e = await failure(runCollect(provider, 'target', 'true'))
  t.equal(e.kind, 'auth_failed')
  t.match(e.message, /TOPUP_TEST_TARGET_PASSWORD is not set/)
})

/** Established TCP connections to `port` (client side), seen from the root namespace or from the site's. */
async function settledCount(count: () => number): Promise<number> {
  let n = count()
  for (let i = 0; i < 40 && n > 0; i++) {
    await delay(50)
    n = count()
  }
  return n
}

t.test('missing password variable: no forwarded channel or socket stays open, attempt after attempt', async (t) => {
  const attempts = 4
  const target = siteProvider(t, site, { env: { TOPUP_TEST_JUMP_PASSWORD: SITE_USERS.jump.password } }).provider
  for (let i = 0; i < attempts; i++) {
    const e = await failure(runCollect(target, 'target', 'true'))
    t.match(e, { kind: 'auth_failed', message: /TOPUP_TEST_TARGET_PASSWORD is not set/ })
  }
  t.equal(await settledCount(() => connectionsTo('127.0.0.1', site.ports.target, site.netns)), 0,
    'the jump holds no channel to the target')
  const working = siteProvider(t, site).provider
  t.equal((await runCollect(working, 'target', 'true')).exitCode, 0, 'the site still works')
  working.close()
  target.close()

  const jump = siteProvider(t, site, { env: {} }).provider
  for (let i = 0; i < attempts; i++) {
    t.match(await failure(runCollect(jump, 'jump', 'true')), { kind: 'auth_failed', message: /TOPUP_TEST_JUMP_PASSWORD is not set/ })
  }
  t.equal(await settledCount(() => connectionsTo(site.jumpAddress, site.ports.jump)), 0, 'no socket to the jump stays open')
})

t.test('strict policy: a host missing from known_hosts is refused (both hops checked)', async (t) => {
  const onlyJump = siteProvider(t, site, { knownHosts: [site.knownHostsLines[0]!] }).provider
  const e = await failure(runCollect(onlyJump, 'target', 'true'))
  t.equal(e.kind, 'host_key_unknown')
  t.equal(e.retryable, false)
  t.match(e.message, site.fingerprints.target)
  const onlyTarget = siteProvider(t, site, { knownHosts: [site.knownHostsLines[1]!] }).provider
  const e2 = await failure(runCollect(onlyTarget, 'target', 'true'))
  t.equal(e2.kind, 'host_key_unknown')
  t.match(e2.message, /:2222/)
})

t.test('a key different from known_hosts: host_key_mismatch naming both fingerprints', async (t) => {
  const other = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHqmVGtK/g8QKMC4EIkyaVj4NUUncyG6s9H+Z5v5oVur'
  const { provider } = siteProvider(t, site, { knownHosts: [site.knownHostsLines[0]!, `[127.0.0.1]:2223 ${other}`] })
  const e = await failure(runCollect(provider, 'target', 'true'))
  t.equal(e.kind, 'host_key_mismatch')
  t.equal(e.retryable, false)
  t.match(e.message, site.fingerprints.target)
  t.match(e.message, 'SHA256:Sfui/LslrGXaH8Ju9xNpygV+tnsAkgFyV6hmaQy/YQA')
  t.match(e.message, /127\.0\.0\.1:2223/)
})

t.test('accept-new pins the first key; a changed key is refused later', async (t) => {
  const { provider, db } = siteProvider(t, site, { policy: 'accept-new', knownHosts: null })
  t.equal((await runCollect(provider, 'target', 'true')).exitCode, 0)
  const pinned = await db.selectFrom('host_keys').select(['hostname', 'port', 'fingerprint']).orderBy('port').execute()
  t.same(pinned.map((p) => p.fingerprint), [site.fingerprints.jump, site.fingerprints.target])
  const old = site.fingerprints.target
  const fresh = await site.replaceHostKey('target')
  provider.close()
  const again = siteProvider(t, site, { policy: 'accept-new', knownHosts: null, db }).provider
  const e = await failure(runCollect(again, 'target', 'true'))
  t.equal(e.kind, 'host_key_mismatch')
  t.match(e.message, old)
  t.match(e.message, fresh)
})

t.test('jump down: jump_host_down, retryable; the host is reported down after N failures', async (t) => {
  const { provider } = siteProvider(t, site, { policy: 'accept-new', knownHosts: null, downAfter: 2 })
  site.kill('jump')
  t.teardown(() => site.start('jump'))
  const e = await failure(runCollect(provider, 'target', 'true'))
  t.equal(e.kind, 'jump_host_down')
  t.equal(e.retryable, true)
  t.equal(e.hostChain, 'jump -> target')
  t.equal(provider.hostDown('target'), null)
  await failure(runCollect(provider, 'target', 'true'))
  t.match(provider.hostDown('target'), /^host target unreachable: jump_host_down: /)
  t.equal(provider.hostStatus('target').lastError?.kind, 'jump_host_down')
  const direct = await failure(runCollect(provider, 'jump', 'true'))
  t.equal(direct.kind, 'connection_refused')
  await site.start('jump')
  t.equal((await runCollect(provider, 'target', 'true')).exitCode, 0, 'reconnects once the jump is back')
  t.equal(provider.hostDown('target'), null)
})

t.test('target down: target_unreachable from the jump', async (t) => {
  const { provider } = siteProvider(t, site, { policy: 'accept-new', knownHosts: null })
  site.kill('target')
  t.teardown(() => site.start('target'))
  const e = await failure(runCollect(provider, 'target', 'true'))
  t.equal(e.kind, 'target_unreachable')
  t.equal(e.retryable, true)
  t.match(e.message, /unreachable from jump/)
})

t.test('unknown host name and DNS failure', async (t) => {
  const { provider } = siteProvider(t, site, {
    policy: 'accept-new', knownHosts: null,
    extraHosts: { nowhere: { hostname: 'no-such-host.invalid', port: 22, username: 'x', password_env: 'TOPUP_TEST_JUMP_PASSWORD' } },
  })
  t.equal(await failure((async () => provider.transportFor('missing'))()).then((e) => e.kind), 'unknown_host')
  const e = await failure(runCollect(provider, 'nowhere', 'true'))
  t.equal(e.kind, 'dns_failure')
})
