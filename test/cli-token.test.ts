import { execFileSync } from 'node:child_process'
import t from 'tap'
import { verifyToken } from '../src/auth/token.js'

const secret = 'cli-token-test-secret-0123456789abcdef'

/** Runs `npm run token -- …` the way the README shows (the script runs dist/main.js; here the source, through tsx). */
function token(...args: string[]): string {
  return tokenWith({}, ...args)
}

function tokenWith(env: Record<string, string>, ...args: string[]): string {
  return execFileSync(process.execPath, ['--import', 'tsx', 'src/main.ts', 'token', ...args], {
    env: { ...process.env, SECRET_KEY: secret, ...env }, encoding: 'utf8',
  }).trim()
}

t.test('npm run token: --user, --admin and --ttl', async (t) => {
  const now = Date.now()
  const plain = await verifyToken(secret, token('--user', 'alice'))
  t.match(plain, { userId: 'alice', role: 'user' })

  const admin = await verifyToken(secret, token('--user', 'root', '--admin', '--ttl', '7d'))
  t.match(admin, { userId: 'root', role: 'admin' })

  const short = token('--user', 'bob', '--ttl', '1h')
  t.match(await verifyToken(secret, short), { userId: 'bob', role: 'user' })
  await t.rejects(verifyToken(secret, short, { now: now + 2 * 3600_000 }), /expired/, 'a 1 h token is expired after 2 h')
  await t.resolves(verifyToken(secret, token('--user', 'root', '--admin', '--ttl', '7d'), { now: now + 6 * 24 * 3600_000 }),
    'a 7 d token is still valid after 6 days')
})

t.test('npm run token --link: the page\'s address with the token in the fragment', async (t) => {
  const link = tokenWith({ HOST: '0.0.0.0', PORT: '5123' }, '--user', 'alice', '--link')
  const match = /^http:\/\/localhost:5123\/#token=([\w.-]+)$/.exec(link)
  t.ok(match, `a link to this machine: ${link}`)
  t.match(await verifyToken(secret, match![1]!), { userId: 'alice', role: 'user' })
  t.match(tokenWith({ HOST: '10.1.2.3', PORT: '80' }, '--user', 'bob', '--link'), /^http:\/\/10\.1\.2\.3:80\/#token=/,
    'a server bound to one address is linked at that address')
})

t.test('npm run token refuses a missing user or a bad ttl with a clear message', async (t) => {
  const cases: [string[], RegExp][] = [[[], /--user/], [['--user'], /--user/], [['--revoke', 'not a jti!'], /token id/], [['--user', 'alice', '--ttl', 'soon'], /ttl/i]]
  for (const [args, message] of cases) {
    try {
      execFileSync(process.execPath, ['--import', 'tsx', 'src/main.ts', 'token', ...args], {
        env: { ...process.env, SECRET_KEY: secret }, encoding: 'utf8', stdio: 'pipe',
      })
      t.fail(`token ${args.join(' ')} should exit non-zero`)
    } catch (error) {
      const { status, stderr } = error as { status: number; stderr: string }
      t.not(status, 0, `token ${args.join(' ')} exits non-zero`)
      t.match(stderr, message, `and says why: ${stderr.trim()}`)
      t.notMatch(stderr, /^\s+at /m, 'a message, not a stack trace')
    }
  }
})
