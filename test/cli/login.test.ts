import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { freePort } from '../helpers/server-process.js'
import { runCli, startCliServer } from './cli-process.js'

t.test('login checks the token, saves it readable by the user alone; TOPUP_URL/TOPUP_TOKEN override it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'topup-cli-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const { server, env: full, token } = await startCliServer(t, dir)
  const env = { ...full, TOPUP_URL: '', TOPUP_TOKEN: '' }
  const config = join(dir, 'config', 'topup', 'config.json')
  const alice = token('alice')

  const refused = await runCli(['login', '--url', server.base, '--token', 'not-a-token'], env)
  t.equal(refused.code, 1)
  t.match(refused.stderr, /^error: Authentication required: .* \(unauthorized\)\n$/)
  t.throws(() => statSync(config), 'nothing saved for a refused token')

  const noToken = await runCli(['tasks'], env)
  t.equal(noToken.code, 1)
  t.match(noToken.stderr, /not signed in: run `topup login/)

  const saved = await runCli(['login', '--url', `${server.base}/`, '--token', alice], env)
  t.equal(saved.code, 0, saved.stderr)
  t.match(saved.stdout, new RegExp(`^signed in to ${server.base} as alice, valid until .*; saved in ${config}\\n$`))
  t.equal(statSync(config).mode & 0o777, 0o600, 'the file is 0600')
  t.equal(statSync(join(dir, 'config', 'topup')).mode & 0o777, 0o700, 'its folder is 0700')
  t.same(JSON.parse(readFileSync(config, 'utf8')), { url: server.base, token: alice })
  const tasks = await runCli(['tasks', '--json'], env)
  t.equal(tasks.code, 0, `the saved login is used (${tasks.stderr})`)
  t.match(JSON.parse(tasks.stdout), { items: [], total: 0 })

  const fromStdin = await runCli(['login', '--url', server.base, '--token', '-', '--json'], env, `${token('bob')}\n`)
  t.equal(fromStdin.code, 0, fromStdin.stderr)
  t.match(JSON.parse(fromStdin.stdout), { url: server.base, user: 'bob', role: 'user', file: config })
  t.equal(statSync(config).mode & 0o777, 0o600, 'still 0600 when written again')

  const port = await freePort()
  const elsewhere = await runCli(['tasks'], { ...env, TOPUP_URL: `http://127.0.0.1:${port}` })
  t.equal(elsewhere.code, 1, 'TOPUP_URL overrides the saved address')
  t.match(elsewhere.stderr, new RegExp(`^error: cannot reach http://127.0.0.1:${port}: ECONNREFUSED\\n$`))
  const asAlice = await runCli(['run', 'typed_flow', '--json'], { ...env, TOPUP_TOKEN: token('alice') })
  t.match(JSON.parse(asAlice.stdout), { user_id: 'alice' }, 'TOPUP_TOKEN overrides the saved token')
  const note = await runCli(['login', '--url', server.base, '--token', token('bob')], { ...env, TOPUP_TOKEN: token('alice') })
  t.match(note.stderr, /note: TOPUP_TOKEN is set in the environment and overrides the saved token/)
})
