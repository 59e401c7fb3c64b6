import { execFileSync, spawnSync } from 'node:child_process'
import { createHmac } from 'node:crypto'
import t from 'tap'
import { CLOCK_TOLERANCE_SECONDS, signToken } from '../../src/auth/token.js'
import { buildTestApp, TEST_SECRET, sharedByFile, type TestApp } from '../helpers/app.js'

/** Token checks beyond signature and expiry: nbf, iat, revocation, key rotation, and what a wrong key is told. */

const shared = sharedByFile(t, () => buildTestApp(t))
const nowSeconds = () => Math.floor(Date.now() / 1000)

function hs256(key: string, claims: object, header: object = { alg: 'HS256', typ: 'JWT' }): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url')
  const input = `${part(header)}.${part(claims)}`
  return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`
}

async function answer(app: TestApp['app'], token: string): Promise<{ status: number; detail: string }> {
  const res = await app.inject({ url: '/api/tasks', headers: { authorization: `Bearer ${token}` } })
  return { status: res.statusCode, detail: (res.json() as { detail?: string }).detail ?? '' }
}

t.test('nbf and iat in the future are refused beyond a small clock tolerance; exp has the same tolerance', async (t) => {
  const { app } = shared()
  const now = nowSeconds()
  const slack = CLOCK_TOLERANCE_SECONDS
  const claims = (extra: object) => hs256(TEST_SECRET, { sub: 'alice', role: 'user', exp: now + 3600, ...extra })
  t.match(await answer(app, claims({ nbf: now + slack + 60 })), { status: 401, detail: /not valid yet/ }, 'nbf a minute past the tolerance')
  t.equal((await answer(app, claims({ nbf: now + Math.floor(slack / 2) }))).status, 200, 'nbf within the tolerance')
  t.match(await answer(app, claims({ iat: now + slack + 60 })), { status: 401, detail: /issued in the future/ }, 'iat ahead of the clock')
  t.equal((await answer(app, claims({ iat: now + Math.floor(slack / 2) }))).status, 200, 'iat within the tolerance')
  t.match(await answer(app, claims({ exp: now - slack - 60 })), { status: 401, detail: /expired/ }, 'exp past the tolerance')
  t.equal((await answer(app, claims({ exp: now - Math.floor(slack / 2) }))).status, 200, 'exp just past, within the tolerance')
  t.match(await answer(app, claims({ nbf: 'soon' })), { status: 401 }, 'a nbf that is not a number')
})

t.test('only HS256 is accepted', async (t) => {
  const { app } = shared()
  const claims = { sub: 'alice', exp: nowSeconds() + 3600 }
  const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`
  t.match(await answer(app, unsigned), { status: 401 }, 'alg none')
  t.match(await answer(app, hs256(TEST_SECRET, claims, { alg: 'HS512' })), { status: 401, detail: /HS256 only/ }, 'HS512 (with a SHA-256 MAC)')
})

t.test('issued tokens carry a jti; a revoked one is refused from the next request, others keep working', async (t) => {
  const { app, dir, tokenFor } = shared()
  const token = tokenFor('carol')
  const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { jti?: string }
  t.match(claims.jti, /^[0-9a-f-]{36}$/, 'a random id')
  t.not(JSON.parse(Buffer.from(tokenFor('carol').split('.')[1]!, 'base64url').toString()).jti, claims.jti, 'one per token')
  t.equal((await answer(app, token)).status, 200)

  // The command an operator runs, on the database of the running app (its DATA_DIR).
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dir, SECRET_KEY: TEST_SECRET }
  delete env.DATABASE_URL
  const out = execFileSync(process.execPath, ['--import', 'tsx', 'src/main.ts', 'token', '--revoke', claims.jti!], { env, encoding: 'utf8' })
  t.match(out, `revoked token ${claims.jti}`)
  t.match(await answer(app, token), { status: 401, detail: /revoked/ }, 'refused once revoked')
  t.equal((await answer(app, tokenFor('carol'))).status, 200, 'a new token of the same user works')

  const other = tokenFor('dave')
  execFileSync(process.execPath, ['--import', 'tsx', 'src/main.ts', 'token', '--revoke', other], { env, encoding: 'utf8' })
  t.match(await answer(app, other), { status: 401, detail: /revoked/ }, 'a whole token may be given to --revoke')
  const row = await shared().db.selectFrom('revoked_tokens').selectAll().where('jti', '=',
    JSON.parse(Buffer.from(other.split('.')[1]!, 'base64url').toString()).jti).executeTakeFirstOrThrow()
  t.ok(row.expires_at, 'its expiry is recorded with it')

  const legacy = hs256(TEST_SECRET, { user_id: 'erin', exp: nowSeconds() + 60 })
  t.equal((await answer(app, legacy)).status, 200, 'a token of the first implementation (no jti) still works')
})

t.test('the token command prints the new token\'s id for --revoke', async (t) => {
  const env = { ...process.env, SECRET_KEY: TEST_SECRET }
  const { stderr } = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts', 'token', '--user', 'alice'], { env, encoding: 'utf8' })
  t.match(stderr, /token id [0-9a-f-]{36} \(npm run token -- --revoke [0-9a-f-]{36} withdraws it\)/)
})

t.test('SECRET_KEY_PREVIOUS still verifies during a change of key', async (t) => {
  const next = 'the-next-secret-key-for-topup-tests-9876543210'
  const rotated = await buildTestApp(t, { env: { SECRET_KEY: next, SECRET_KEY_PREVIOUS: TEST_SECRET } })
  const user = { userId: 'alice', role: 'user' } as const
  t.equal((await answer(rotated.app, signToken(TEST_SECRET, user, 60))).status, 200, 'a token of the previous key')
  t.equal((await answer(rotated.app, signToken(next, user, 60))).status, 200, 'a token of the new key')
  t.match(await answer(rotated.app, signToken('some-third-key-0123456789abcdef', user, 60)),
    { status: 401, detail: /not signed with this server's key \(SECRET_KEY\)/ }, 'any other key is refused, saying where the key comes from')

  const after = await buildTestApp(t, { env: { SECRET_KEY: next } })
  t.match(await answer(after.app, signToken(TEST_SECRET, user, 60)), { status: 401, detail: /signature/ },
    'once SECRET_KEY_PREVIOUS is unset, the old key\'s tokens are refused')
})

t.test('a server with a generated key says so when the signature does not match', async (t) => {
  const generated = await buildTestApp(t, { env: { SECRET_KEY: '' } })
  const res = await answer(generated.app, signToken(TEST_SECRET, { userId: 'alice', role: 'user' }, 60))
  t.match(res, { status: 401, detail: /not signed with this server's key \(DATA_DIR\/secret\.key\)/ })
})
