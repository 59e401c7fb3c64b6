import t from 'tap'
import { createHmac } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { resolveSecretKey } from '../../src/auth/secret.js'
import { CLOCK_TOLERANCE_SECONDS, parseTtl, signToken, VerifiedTokens, verifyToken } from '../../src/auth/token.js'
import { buildTestApp, TEST_SECRET, sharedByFile } from '../helpers/app.js'

/** A create request for `date` (one unfinished task per date: the tests of this file share an app). */
const bodyFor = (date: string) => ({ workflow_name: 'topup_standard_workflow', parameters: { date_param: date } })

// One app for the file: each test creates tasks for users of its own.
const shared = sharedByFile(t, () => buildTestApp(t))

t.test('tokens: missing, malformed, expired, wrong signature', async (t) => {
  const { app, tokenFor } = shared()
  const call = (authorization?: string) =>
    app.inject({ url: '/api/tasks', headers: authorization === undefined ? {} : { authorization } })
  const cases: [string, string | undefined, RegExp][] = [
    ['missing', undefined, /bearer token is required/],
    ['not bearer', 'Basic dXNlcjpwYXNz', /Bearer/],
    ['malformed', 'Bearer abc', /malformed/],
    ['expired', `Bearer ${signToken(TEST_SECRET, { userId: 'alice', role: 'user' }, 60, Date.now() - 3600_000)}`, /expired/],
    ['wrong signature', `Bearer ${signToken('another-key', { userId: 'alice', role: 'user' }, 60)}`, /signature/],
    ['tampered payload', `Bearer ${tamper(tokenFor('alice'))}`, /signature/],
  ]
  for (const [what, header, detail] of cases) {
    const res = await call(header)
    t.equal(res.statusCode, 401, what)
    t.match(res.json(), { code: 'unauthorized', detail }, what)
  }
  t.equal((await call(`Bearer ${tokenFor('alice')}`)).statusCode, 200)
  t.equal((await app.inject({ url: '/api/health' })).statusCode, 200, 'health needs no token')
})

function tamper(token: string): string {
  const [h, p, s] = token.split('.')
  const claims = JSON.parse(Buffer.from(p!, 'base64url').toString())
  claims.role = 'admin'
  return `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`
}

t.test('users see their own tasks only; admins see all', async (t) => {
  const { app, authFor } = shared()
  const [owner, other] = ['vis-owner', 'vis-other']
  const owners = (await app.inject({ method: 'POST', url: '/api/tasks', headers: authFor(owner), payload: bodyFor('250624') })).json()
  for (const path of ['', '/progress', '/executions', '/logs']) {
    const res = await app.inject({ url: `/api/tasks/${owners.id}${path}`, headers: authFor(other) })
    t.equal(res.statusCode, 404, `someone else's task${path} is not found`)
    const admin = await app.inject({ url: `/api/tasks/${owners.id}${path}`, headers: authFor('root', 'admin') })
    t.equal(admin.statusCode, 200, `an admin sees it${path}`)
  }
  t.equal((await app.inject({ url: `/api/logs?task_id=${owners.id}`, headers: authFor(other) })).statusCode, 404)
  t.equal((await app.inject({ url: `/api/tasks?user_id=${owner}`, headers: authFor(other) })).statusCode, 403)
  t.equal((await app.inject({ url: '/api/tasks', headers: authFor(other) })).json().total, 0)
  const all = (await app.inject({ url: '/api/tasks', headers: authFor('root', 'admin') })).json()
  t.ok(all.items.some((task: { id: number }) => task.id === owners.id), 'the admin\'s list has it')
  t.equal((await app.inject({ url: `/api/tasks?user_id=${owner}`, headers: authFor('root', 'admin') })).json().total, 1)
})

t.test('user_id in a create request', async (t) => {
  const { app, authFor } = shared()
  const forOther = await app.inject({ method: 'POST', url: '/api/tasks', headers: authFor('alice'), payload: { ...bodyFor('250625'), user_id: 'bob' } })
  t.equal(forOther.statusCode, 403)
  t.match(forOther.json(), { code: 'forbidden' })
  const self = await app.inject({ method: 'POST', url: '/api/tasks', headers: authFor('alice'), payload: { ...bodyFor('250625'), user_id: 'alice' } })
  t.equal(self.statusCode, 201)
  const byAdmin = await app.inject({ method: 'POST', url: '/api/tasks', headers: authFor('root', 'admin'), payload: { ...bodyFor('250626'), user_id: 'bob' } })
  t.equal(byAdmin.statusCode, 201)
  t.equal(byAdmin.json().user_id, 'bob')
})

t.test('the token functions', async (t) => {
  const token = signToken('k', { userId: 'alice', role: 'admin' }, parseTtl('24h'))
  t.same(await verifyToken('k', token), { userId: 'alice', role: 'admin' })
  const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString())
  t.match(claims, { sub: 'alice', user_id: 'alice', role: 'admin' })
  t.equal(claims.exp - claims.iat, 86400)
  // The first implementation's tokens carried only user_id.
  const legacy = hs256('k', { user_id: 'bob', exp: Math.floor(Date.now() / 1000) + 60 })
  t.same(await verifyToken('k', legacy), { userId: 'bob', role: 'user' })
  await t.rejects(verifyToken('k', hs256('k', { sub: 'x' })), /no expiry/)
  await t.rejects(verifyToken('k', hs256('k', { sub: 'x', exp: 9e9, role: 'root' })), /role/)
  await t.rejects(verifyToken('k', hs256('k', { exp: 9e9 })), /subject/)
  t.equal(parseTtl('90m'), 5400)
  t.equal(parseTtl('7d'), 604800)
  t.throws(() => parseTtl('soon'))
})

t.test('a checked token is remembered until it expires, and its revocation is still asked every time', async (t) => {
  const issued = Date.parse('2026-12-01T10:00:00Z')
  const token = signToken('k', { userId: 'alice', role: 'user' }, 60, issued)
  const cache = new VerifiedTokens()
  const revoked = new Set<string>()
  const asked: string[] = []
  const isRevoked = async (jti: string) => { asked.push(jti); return revoked.has(jti) }
  const at = (ms: number) => verifyToken('another-key', token, { now: ms, cache, isRevoked })
  await t.rejects(at(issued), /signature/, 'not cached when the check fails')
  t.same(await verifyToken('k', token, { now: issued, cache, isRevoked }), { userId: 'alice', role: 'user' })
  // From the cache: another key would refuse it, so a pass means the signature was not checked again.
  t.same(await at(issued + 30_000), { userId: 'alice', role: 'user' }, 'remembered')
  const lastValid = issued + (60 + CLOCK_TOLERANCE_SECONDS) * 1000 - 1
  t.same(await at(lastValid), { userId: 'alice', role: 'user' }, 'valid until exp plus the tolerance')
  await t.rejects(verifyToken('k', token, { now: lastValid + 1, cache, isRevoked }), /expired/, 'then expired, as jose says')
  await t.rejects(at(issued), /signature/, 'and forgotten once expired')
  t.same(await verifyToken('k', token, { now: issued, cache, isRevoked }), { userId: 'alice', role: 'user' })
  revoked.add(asked[0]!)
  await t.rejects(at(issued + 1000), /revoked/, 'a revocation after the check counts at once')
  t.equal(new Set(asked).size, 1, 'the token id was asked about each time')
  t.ok(asked.length >= 4)
})

function hs256(key: string, claims: object): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url')
  const input = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}`
  return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`
}

t.test('without SECRET_KEY a key is generated once (0600) and reused, never logged', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'topup-secret-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const notes: string[] = []
  const key = resolveSecretKey({ DATA_DIR: dir }, (message, file) => notes.push(`${message} ${file}`))
  const file = join(dir, 'secret.key')
  t.equal(statSync(file).mode & 0o777, 0o600)
  t.equal(readFileSync(file, 'utf8').trim(), key)
  t.equal(resolveSecretKey({ DATA_DIR: dir }, (m) => notes.push(m)), key, 'reused')
  t.equal(notes.length, 1, 'said so once')
  t.notMatch(notes[0]!, key)
  t.equal(resolveSecretKey({ DATA_DIR: dir, SECRET_KEY: 'explicit' }), 'explicit')
})

t.test('a percent-encoded path to an /api route still needs a token', async (t) => {
  const { app } = shared()
  for (const url of ['/%61pi/workflows', '/%61pi/workflows/topup_standard_workflow', '/a%70i/tasks', '/%2561pi/workflows']) {
    const res = await app.inject({ method: 'GET', url })
    t.ok([401, 404].includes(res.statusCode), `${url} → ${res.statusCode}`)
    t.not(res.statusCode, 200, `${url} is not served without a token`)
  }
  const post = await app.inject({ method: 'POST', url: '/%61pi/workflows/topup_standard_workflow/validate', payload: { parameters: {} } })
  t.equal(post.statusCode, 401)
})
