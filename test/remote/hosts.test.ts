import t from 'tap'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chainLabel, hostChain, loadHostsFile, parseHosts } from '../../src/remote/hosts.js'

const ihep = {
  hosts: {
    lxlogin: { hostname: 'lxlogin.ihep.ac.cn', port: 22, username: 'topup', password_env: 'SSH_PASS_LXLOGIN' },
    beslogin: { hostname: 'beslogin', port: 22, username: 'topup', password_env: 'SSH_PASS_BESLOGIN', via: 'lxlogin' },
  },
}

t.test('defaults and chains', async (t) => {
  const hosts = parseHosts(ihep)
  const bes = hosts.get('beslogin')!
  t.match(bes, { max_sessions: 8, keepalive_seconds: 15, max_connects_per_minute: 6, port: 22 })
  t.equal(chainLabel(hostChain(hosts, 'beslogin')), 'lxlogin -> beslogin')
  const long = parseHosts({ hosts: { ...ihep.hosts, node: { hostname: 'n', port: 22, username: 'u', via: 'beslogin', max_sessions: 2 } } })
  t.equal(chainLabel(hostChain(long, 'node')), 'lxlogin -> beslogin -> node')
  t.equal(long.get('node')!.max_sessions, 2)
})

t.test('clear errors', async (t) => {
  t.throws(() => parseHosts({ hosts: { a: { hostname: 'a', port: 22, username: 'u', via: 'b' }, b: { hostname: 'b', port: 22, username: 'u', via: 'a' } } }),
    { message: /cycle in its jump chain: a -> b -> a/ })
  t.throws(() => parseHosts({ hosts: { a: { hostname: 'a', port: 22, username: 'u', via: 'ghost' } } }), { message: /"a" goes via unknown host "ghost"/ })
  t.throws(() => parseHosts({ hosts: { a: { hostname: 'a', port: 99999, username: 'u' } } }), { message: /\/hosts\/a\/port/ })
  t.throws(() => parseHosts({ hosts: { a: { hostname: 'a', username: 'u', password: 'x' } } }), { message: /\/hosts\/a\/password is not a known field/ })
  t.throws(() => parseHosts({ hosts: { local: { hostname: 'a', username: 'u' } } }), { message: /reserved/ })
})

t.test('file loading', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'topup-hosts-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  t.equal(loadHostsFile(join(dir, 'missing.json')).size, 0, 'no file: no SSH hosts')
  writeFileSync(join(dir, 'bad.json'), '{ nope')
  t.throws(() => loadHostsFile(join(dir, 'bad.json')), { message: /not valid JSON/ })
  writeFileSync(join(dir, 'hosts.json'), JSON.stringify(ihep))
  t.same([...loadHostsFile(join(dir, 'hosts.json')).keys()], ['lxlogin', 'beslogin'])
})
