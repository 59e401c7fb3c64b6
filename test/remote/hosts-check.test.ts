import t from 'tap'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startSshSite } from '../helpers/ssh-site.js'

const site = await startSshSite(t)
const data = mkdtempSync(join(tmpdir(), 'topup-hosts-check-'))
t.teardown(() => rmSync(data, { recursive: true, force: true }))

function check(env: Record<string, string>) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/hosts-check.ts'], {
    encoding: 'utf8', timeout: 60_000,
    env: { PATH: process.env.PATH, DATA_DIR: data, HOSTS_FILE: site.writeHostsFile(), ...site.env, ...env },
  })
  return { code: r.status, out: r.stdout + r.stderr }
}

t.test('every hop reachable: fingerprints, new then known', async (t) => {
  const first = check({ KNOWN_HOSTS_POLICY: 'accept-new' })
  t.equal(first.code, 0, first.out)
  t.match(first.out, `host key: ${site.fingerprints.jump} NEW`)
  t.match(first.out, `host key: ${site.fingerprints.target} NEW`)
  t.match(first.out, /ok {4}target \(topup-target@127\.0\.0\.1:2223\) via jump -> target/)
  const second = check({ KNOWN_HOSTS_POLICY: 'accept-new' })
  t.match(second.out, `host key: ${site.fingerprints.target} known (database)`)
  const strict = check({ KNOWN_HOSTS_POLICY: 'strict', KNOWN_HOSTS_FILE: site.writeKnownHosts() })
  t.equal(strict.code, 0, strict.out)
  t.match(strict.out, 'known (known_hosts)')
})

t.test('a failing hop makes it exit non-zero', async (t) => {
  const r = check({ KNOWN_HOSTS_POLICY: 'accept-new', TOPUP_TEST_TARGET_PASSWORD: 'wrong' })
  t.equal(r.code, 1)
  t.match(r.out, /FAIL {2}target .*\n {6}auth_failed/)
  t.match(r.out, /ok {4}jump/)
  t.notMatch(r.out, /wrong/)
})
