import { spawnSync } from 'node:child_process'
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { freePort } from '../helpers/server-process.js'

// `npx topup` runs package.json's bin, the compiled dist/cli/main.js, by its shebang: built here the way `prepare`
// builds dist/ (tsconfig.build.json), in a folder beside src/ so that the packages resolve as from dist/.
const root = fileURLToPath(new URL('../..', import.meta.url))
const out = mkdtempSync(join(root, 'dist-test-cli-'))
t.teardown(() => rmSync(out, { recursive: true, force: true }))

t.test('package.json\'s bin is the compiled command, runnable by its shebang with no tsx', async (t) => {
  const { bin } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { bin: Record<string, string> }
  t.same(bin, { topup: 'dist/cli/main.js' })
  const build = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', out],
    { cwd: root, encoding: 'utf8' })
  t.equal(build.status, 0, `${build.stdout}${build.stderr}`)
  const main = join(out, 'cli', 'main.js')
  t.match(readFileSync(main, 'utf8'), /^#!\/usr\/bin\/env node\n/)
  chmodSync(main, 0o755)

  const env: NodeJS.ProcessEnv = { ...process.env, LANG: 'C', LC_ALL: '', XDG_CONFIG_HOME: join(out, 'config') }
  delete env.NODE_OPTIONS
  const help = spawnSync(main, ['--help'], { cwd: '/', env, encoding: 'utf8' })
  t.equal(help.status, 0, help.stderr)
  t.match(help.stdout, /^usage: topup <command>/)
  const port = await freePort()
  const down = spawnSync(main, ['tasks'], { cwd: '/', env: { ...env, TOPUP_URL: `http://127.0.0.1:${port}`, TOPUP_TOKEN: 'x' }, encoding: 'utf8' })
  t.equal(down.status, 1)
  t.equal(down.stderr, `error: cannot reach http://127.0.0.1:${port}: ECONNREFUSED\n`, 'run from any folder')
  const usage = spawnSync(main, ['follow'], { cwd: '/', env, encoding: 'utf8' })
  t.equal(usage.status, 64, usage.stderr)
})
