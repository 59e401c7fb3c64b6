import t from 'tap'
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { startSshSite, SITE_USERS, type HostEntry } from '../helpers/ssh-site.js'
import { failure, siteProvider, runCollect } from './site-provider.js'

const site = await startSshSite(t)
const keys = mkdtempSync(join(tmpdir(), 'topup-auth-keys-'))
t.teardown(() => rmSync(keys, { recursive: true, force: true }))

const PASSPHRASE = 'pp-S3cret phrase'
const WRONG = 'pp-Wr0ng phrase'
const keygen = (file: string, passphrase: string) =>
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-C', '', '-f', file], { stdio: 'ignore' })
const protectedKey = join(keys, 'protected_key')
keygen(protectedKey, PASSPHRASE)
site.authorizeKey(`${protectedKey}.pub`)

const hop = (role: 'jump' | 'target', extra: Record<string, unknown> = {}): HostEntry => {
  const { hostname, port, username } = site.hosts[role]
  return { hostname, port, username, ...extra }
}
const withPassphrase = { private_key_file: protectedKey, passphrase_env: 'TOPUP_TEST_KEY_PASSPHRASE' }

t.test('passphrase-protected key on both hops, the passphrase from passphrase_env', async (t) => {
  const { provider } = siteProvider(t, site, {
    env: { TOPUP_TEST_KEY_PASSPHRASE: PASSPHRASE },
    extraHosts: { 'jump-pp': hop('jump', withPassphrase), 'target-pp': hop('target', { ...withPassphrase, via: 'jump-pp' }) },
  })
  const r = await runCollect(provider, 'target-pp', 'whoami; echo "$SSH_CONNECTION"')
  t.equal(r.exitCode, 0)
  t.equal(r.stdout[0], SITE_USERS.target.name)
  t.match(r.stdout[1], /^127\.0\.0\.1 \d+ 127\.0\.0\.1 2223$/, 'reached through the jump')
})

t.test('wrong passphrase: auth_failed, not retryable, the passphrase not in the message', async (t) => {
  const { provider } = siteProvider(t, site, {
    env: { ...site.env, TOPUP_TEST_KEY_PASSPHRASE: WRONG },
    extraHosts: { 'target-pp': hop('target', { ...withPassphrase, via: 'jump' }) },
  })
  const e = await failure(runCollect(provider, 'target-pp', 'true'))
  t.equal(e.kind, 'auth_failed')
  t.equal(e.retryable, false)
  t.equal(e.hostChain, 'jump -> target-pp')
  t.match(e.message, /target-pp \(127\.0\.0\.1:2223\)/, 'names the hop whose key failed')
  t.notMatch(e.message, WRONG)
  t.notMatch(e.message, PASSPHRASE)
})

t.test('passphrase variable not set: auth_failed naming the variable', async (t) => {
  const { provider } = siteProvider(t, site, {
    env: { ...site.env },
    extraHosts: { 'target-pp': hop('target', { ...withPassphrase, via: 'jump' }) },
  })
  const e = await failure(runCollect(provider, 'target-pp', 'true'))
  t.equal(e.kind, 'auth_failed')
  t.equal(e.retryable, false)
  t.match(e.message, /TOPUP_TEST_KEY_PASSPHRASE is not set/)
})

/** A foreground ssh-agent on a socket of its own, holding one fresh key authorized on the site. */
async function startAgent(t: { teardown(fn: () => unknown): void }): Promise<string> {
  const socket = join(keys, `agent-${process.pid}.sock`)
  const agent = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' })
  t.teardown(() => { try { process.kill(agent.pid!, 'SIGTERM') } catch { /* already gone */ } })
  for (let i = 0; i < 200 && !existsSync(socket); i++) {
    if (agent.exitCode !== null) break
    await delay(10)
  }
  if (!existsSync(socket)) throw new Error('ssh-agent did not create its socket')
  const agentKey = join(keys, 'agent_key')
  keygen(agentKey, '')
  site.authorizeKey(`${agentKey}.pub`)
  execFileSync('ssh-add', ['-q', agentKey], { env: { ...process.env, SSH_AUTH_SOCK: socket }, stdio: 'ignore', timeout: 10_000 })
  // the key file goes: from here on only the agent holds it
  rmSync(agentKey)
  return socket
}

t.test('ssh-agent: no password or key file in the hosts, SSH_AUTH_SOCK in the env', async (t) => {
  const socket = await startAgent(t)
  const extraHosts = { 'jump-agent': hop('jump'), 'target-agent': hop('target', { via: 'jump-agent' }) }
  const { provider } = siteProvider(t, site, { env: { SSH_AUTH_SOCK: socket }, extraHosts })
  const r = await runCollect(provider, 'target-agent', 'whoami')
  t.equal(r.exitCode, 0)
  t.same(r.stdout, [SITE_USERS.target.name])

  const without = siteProvider(t, site, { env: {}, extraHosts }).provider
  const e = await failure(runCollect(without, 'target-agent', 'true'))
  t.equal(e.kind, 'auth_failed', 'without the agent the same hosts have no credentials')
  t.match(e.message, /no credentials for jump-agent/)
})
