import t, { type Test } from 'tap'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { verifyToken } from '../src/auth/token.js'
import { startServerProcess } from './helpers/server-process.js'

// The compiled build as `npm start` runs it: tsc of src/ alone (tsconfig.build.json) into a folder beside src/, so
// at dist/'s depth, run by plain node (no tsx) from the project root. Nothing is copied: public/, schema.sql and
// package.json must be found from the compiled files' own location.
const root = fileURLToPath(new URL('..', import.meta.url))
const out = mkdtempSync(join(root, 'dist-test-'))
t.teardown(() => rmSync(out, { recursive: true, force: true }))
const build = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', out],
  { cwd: root, encoding: 'utf8' })

const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }

// Prints, at exit, every CommonJS module the process loaded (fastify, ssh2, better-sqlite3 and pino are CommonJS;
// tap's process instrumentation, which it adds to every child, is too).
const reportLoaded = `--import=data:text/javascript,${encodeURIComponent(
  `import { createRequire } from 'node:module'; const cache = createRequire('/').cache;
   process.on('exit', () => process.stderr.write('loaded ' + JSON.stringify(Object.keys(cache)) + '\\n'))`)}`
function loaded(stderr: string): string[] {
  const report = /^loaded (.*)$/m.exec(stderr)
  if (!report) throw new Error(`no list of loaded modules: ${stderr}`)
  return JSON.parse(report[1]!) as string[]
}
const serverPackages = (files: string[]) => files.filter((f) => /\/node_modules\/(@fastify|fastify|ssh2|better-sqlite3|pino)\//.test(f))

function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'topup-build-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

t.test('tsc compiles src/ alone, at the depth of src/', async (t) => {
  t.equal(build.status, 0, `${build.stdout}${build.stderr}`)
  t.ok(existsSync(join(out, 'main.js')), 'main.js at the top of the build folder')
  t.ok(existsSync(join(out, 'db', 'connect.js')))
  t.notOk(existsSync(join(out, 'src')), 'no src/ level inside')
  t.notOk(existsSync(join(out, 'test')), 'tests are not compiled')
})

t.test('the compiled token command prints a JWT, loading neither the server nor its packages', async (t) => {
  const dir = tempDir(t)
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: join(dir, 'data') }
  delete env.SECRET_KEY
  delete env.DATABASE_URL
  const r = spawnSync(process.execPath, [reportLoaded, join(out, 'main.js'), 'token', '--user', 'alice'],
    { cwd: root, env, encoding: 'utf8' })
  t.equal(r.status, 0, r.stderr)
  const token = r.stdout.trim()
  t.match(token, /^ey[\w-]+\.[\w-]+\.[\w-]+$/)
  const key = readFileSync(join(dir, 'data', 'secret.key'), 'utf8').trim()
  t.match(await verifyToken(key, token), { userId: 'alice', role: 'user' }, 'signed with the key generated into DATA_DIR')
  t.same(serverPackages(loaded(r.stderr)), [], 'none of the server\'s packages was loaded')
})

t.test('the compiled server answers /api/health, serves public/ and stops on SIGTERM', async (t) => {
  const server = await startServerProcess(t, tempDir(t), {}, [reportLoaded, join(out, 'main.js'), 'serve'])
  let stderr = ''
  server.child.stderr!.on('data', (chunk) => { stderr += String(chunk) })

  const health = await fetch(`${server.base}/api/health`)
  t.equal(health.status, 200)
  t.match(await health.json(), { status: 'ok', database: 'ok', version }, 'schema.sql applied; version from package.json')
  t.equal((await fetch(`${server.base}/`)).status, 200, 'public/ is served')

  server.child.kill('SIGTERM')
  const [code] = await server.exited
  t.equal(code, 0, 'graceful exit')
  t.ok(serverPackages(loaded(stderr)).length > 0, 'serve loads them (so the token test sees their absence)')
})
