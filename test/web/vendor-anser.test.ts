import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import t from 'tap'
import { buildTestApp } from '../helpers/app.js'

t.test('anser, CommonJS in node_modules, is served as an ES module whose default export is the package', async (t) => {
  const { app } = await buildTestApp(t)
  const res = await app.inject({ url: '/vendor/anser.js' })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^text\/javascript/)
  const dir = mkdtempSync(join(tmpdir(), 'topup-anser-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, 'anser.mjs'), res.body)
  const { default: Anser } = await import(pathToFileURL(join(dir, 'anser.mjs')).href) as
    { default: { ansiToJson(text: string, options: object): { content: string; fg: string | null }[] } }
  t.match(Anser.ansiToJson('\x1b[31mred\x1b[0m plain', { json: true, remove_empty: true }),
    [{ content: 'red', fg: '187, 0, 0' }, { content: ' plain', fg: null }])
})
