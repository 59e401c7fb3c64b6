import t from 'tap'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { checkKnownHosts, fingerprint, parseKnownHosts } from '../../src/remote/ssh/known-hosts.js'
import { createHostKeyPolicy } from '../../src/remote/ssh/host-key-policy.js'
import { freshDatabase } from '../helpers/db.js'

const dir = mkdtempSync(join(tmpdir(), 'topup-known-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
function newKey(name: string) {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', '', '-f', join(dir, name)])
  const [type, base64] = readFileSync(join(dir, `${name}.pub`), 'utf8').trim().split(' ')
  return { type: type!, base64: base64! }
}
const a = newKey('a')
const b = newKey('b')

t.test('fingerprints as ssh-keygen prints them', async (t) => {
  const printed = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', join(dir, 'a.pub')], { encoding: 'utf8' })
  t.equal(printed.split(' ')[1], fingerprint(a.base64))
})

t.test('plain, [host]:port, wildcard and negated entries', async (t) => {
  const entries = parseKnownHosts([
    '# comment', '', `lxlogin.ihep.ac.cn,10.0.0.1 ${a.type} ${a.base64}`,
    `[beslogin]:2222 ${b.type} ${b.base64} comment`, `*.example.org,!bad.example.org ${a.type} ${a.base64}`,
  ].join('\n'))
  t.same(checkKnownHosts(entries, 'lxlogin.ihep.ac.cn', 22, a), { status: 'match' })
  t.same(checkKnownHosts(entries, '10.0.0.1', 22, a), { status: 'match' })
  t.same(checkKnownHosts(entries, 'beslogin', 2222, b), { status: 'match' })
  t.same(checkKnownHosts(entries, 'beslogin', 22, b), { status: 'absent' }, 'another port is another host')
  t.same(checkKnownHosts(entries, 'x.example.org', 22, a), { status: 'match' })
  t.same(checkKnownHosts(entries, 'bad.example.org', 22, a), { status: 'absent' })
  t.match(checkKnownHosts(entries, 'lxlogin.ihep.ac.cn', 22, b), { status: 'mismatch', expected: [a] })
})

t.test('hashed entries written by ssh-keygen -H', async (t) => {
  const file = join(dir, 'known_hosts')
  writeFileSync(file, `lxlogin.ihep.ac.cn ${a.type} ${a.base64}\n[beslogin]:2222 ${b.type} ${b.base64}\n`)
  execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' })
  const text = readFileSync(file, 'utf8')
  t.notMatch(text, /lxlogin|beslogin/, 'the names are hashed')
  const entries = parseKnownHosts(text)
  t.same(checkKnownHosts(entries, 'lxlogin.ihep.ac.cn', 22, a), { status: 'match' })
  t.same(checkKnownHosts(entries, 'beslogin', 2222, b), { status: 'match' })
  t.match(checkKnownHosts(entries, 'beslogin', 2222, a), { status: 'mismatch' })
})

t.test('@revoked refuses the key', async (t) => {
  const entries = parseKnownHosts(`@revoked * ${a.type} ${a.base64}\nh ${a.type} ${a.base64}`)
  t.same(checkKnownHosts(entries, 'h', 22, a), { status: 'revoked' })
})

t.test('policies: strict needs the file, accept-new pins in the database', async (t) => {
  const { db } = freshDatabase(t)
  const file = join(dir, 'policy_hosts')
  writeFileSync(file, `listed ${a.type} ${a.base64}\n`)
  const strict = createHostKeyPolicy({ db, policy: 'strict', knownHostsFile: file })
  t.match(await strict.verify('listed', 22, a), { status: 'known', source: 'known_hosts' })
  t.match(await strict.verify('other', 22, a).catch((e: unknown) => e), { kind: 'host_key_unknown' })
  const acceptNew = createHostKeyPolicy({ db, policy: 'accept-new', knownHostsFile: file })
  t.match(await acceptNew.verify('other', 22, a), { status: 'new', source: 'database' })
  t.match(await acceptNew.verify('other', 22, a), { status: 'known', source: 'database' })
  const mismatch = await acceptNew.verify('other', 22, b).catch((e: Error & { kind: string }) => e)
  t.match(mismatch, { kind: 'host_key_mismatch' })
  t.ok((mismatch as Error).message.includes(fingerprint(a.base64)) && (mismatch as Error).message.includes(fingerprint(b.base64)), 'both fingerprints')
  t.match(await acceptNew.verify('listed', 22, b).catch((e: unknown) => e), { kind: 'host_key_mismatch' }, 'the file wins over accept-new')
})
