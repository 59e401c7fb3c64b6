import t from 'tap'
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'

// The test sites' Unix accounts have passwords written in the repository: none may outlive the suite, whether it
// ends, fails or is interrupted. These accounts are the test's own (own names, own state folder), so that the
// sites of test files running beside it are not touched.

function accounts(t: { teardown(fn: () => unknown): void }, count: number) {
  const state = mkdtempSync(join(tmpdir(), 'topup-users-'))
  const env = { ...process.env, TOPUP_TEST_USERS_STATE: state }
  const names = Array.from({ length: count }, (_, i) => `topup-t${process.pid % 100000}${i}${Math.random().toString(36).slice(2, 5)}`)
  const script = (args: string[], input = '') => execFileSync('bash', ['scripts/test-users.sh', ...args], { env, input, encoding: 'utf8' })
  t.teardown(() => {
    // whatever the test left: no lease in the state folder, so everything listed goes
    rmSync(join(state, 'leases'), { recursive: true, force: true })
    script(['remove-unused'])
    rmSync(state, { recursive: true, force: true })
  })
  return { state, env, names, script, ensure: (lease: string) => script(['ensure', lease], names.map((n) => `${n}:pw of ${n}\n`).join('')) }
}

const exists = (name: string) => spawnSync('id', ['-u', name]).status === 0
const homeOf = (name: string) => execFileSync('getent', ['passwd', name], { encoding: 'utf8' }).split(':')[5]!

t.test('the last holder\'s release removes the accounts with their homes and processes; the next run starts clean', async (t) => {
  const { names, script, ensure } = accounts(t, 2)
  const holder = spawn('sleep', ['600'])
  t.teardown(() => { holder.kill('SIGKILL') })
  ensure(`${holder.pid}-other-file`)
  ensure(`${process.pid}-this-file`)
  t.ok(names.every(exists), 'both accounts exist')
  const home = homeOf(names[0]!)
  execFileSync('setpriv', ['--reuid', names[0]!, '--regid', names[0]!, '--clear-groups', 'touch', join(home, 'left-by-a-test')])
  const running = spawn('setpriv', ['--reuid', names[0]!, '--regid', names[0]!, '--clear-groups', 'sleep', '600'], { stdio: 'ignore' })
  const ended = once(running, 'exit')

  script(['release', `${process.pid}-this-file`])
  t.ok(names.every(exists), 'another holder runs: the accounts stay')
  holder.kill('SIGKILL')
  await once(holder, 'exit')
  script(['remove-unused'])
  t.ok(names.every((n) => !exists(n)), 'the holder was killed: its lease ended with it, and the accounts are gone')
  t.notOk(existsSync(home), 'with their homes')
  t.same(await ended, [null, 'SIGKILL'], 'and their processes')

  ensure(`${process.pid}-next-run`)
  t.ok(names.every(exists))
  t.notOk(existsSync(join(homeOf(names[0]!), 'left-by-a-test')), 'a second run starts from a fresh home')
  script(['release', `${process.pid}-next-run`])
  t.ok(names.every((n) => !exists(n)))
})

t.test('without root: npm test and the sites say in one line that they need root, and why', async (t) => {
  const nobody = ['--reuid', '65534', '--regid', '65534', '--clear-groups']
  const suite = spawnSync('setpriv', [...nobody, 'bash', 'scripts/test.sh'], { encoding: 'utf8' })
  t.equal(suite.status, 1)
  t.equal(suite.stdout, '')
  t.match(suite.stderr, /^npm test needs root: the suite .*Unix accounts, network namespaces and daemons.*\n$/)
  const site = spawnSync('setpriv', [...nobody, 'bash', 'scripts/test-users.sh', 'ensure', '1-x'], { encoding: 'utf8', input: '' })
  t.equal(site.status, 1)
  t.match(site.stderr, /^the test sites need root: they create Unix accounts.*\n$/)
})

t.test('an interrupted npm test removes the accounts its test files held', async (t) => {
  const { env, names } = accounts(t, 1)
  const name = names[0]!
  const childEnv: NodeJS.ProcessEnv = { ...env, HOLD_ACCOUNT: name }
  // the suite below is a run of its own, not a child of this tap run
  for (const key of Object.keys(childEnv)) if (/^(TAP|_TAPJS_)/.test(key)) delete childEnv[key]
  const suite = spawn('bash', ['scripts/test.sh', 'test/fixtures/site-users/hold-accounts.ts'], { env: childEnv, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  suite.stdout!.on('data', (chunk) => { output += String(chunk) })
  suite.stderr!.on('data', (chunk) => { output += String(chunk) })
  const exited = once(suite, 'exit')
  t.teardown(() => { if (suite.exitCode === null) process.kill(-suite.pid!, 'SIGKILL') })
  for (let i = 0; i < 600 && !exists(name); i++) await delay(100)
  t.ok(exists(name), `the test file holds its account: ${output}`)
  process.kill(-suite.pid!, 'SIGINT') // Ctrl-C: the whole foreground group
  const [code] = await exited
  t.equal(code, 130, output)
  t.notOk(exists(name), 'the account is gone')
})
