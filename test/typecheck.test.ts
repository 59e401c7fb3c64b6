import t from 'tap'
import { spawnSync } from 'node:child_process'
import { root } from './helpers/imports.js'

/**
 * The suite runs TypeScript through tsx, which strips types without checking them, and the build skips the check
 * too (tsconfig.build.json: noCheck) — so this is where a type error fails `npm test`, as `npm run typecheck` would.
 */
t.setTimeout(300_000)

t.test('tsc --noEmit finds no type error in src, test, scripts and bench', async (t) => {
  const tsc = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '--noEmit', '-p', '.'], {
    cwd: root, encoding: 'utf8', timeout: 280_000,
  })
  t.equal(tsc.error, undefined, 'tsc ran')
  t.equal(tsc.status, 0, `tsc reports no error${tsc.stdout ? `:\n${tsc.stdout}` : ''}`)
})
