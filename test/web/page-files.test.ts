import { readFileSync } from 'node:fs'
import t from 'tap'
import { buildTestApp } from '../helpers/app.js'

t.test('the page and its allow-listed modules of node_modules, by relative address', async (t) => {
  const { app } = await buildTestApp(t)
  const index = await app.inject({ url: '/' })
  t.equal(index.statusCode, 200)
  const addresses = [...index.body.matchAll(/(?:href|src)="([^"]+)"|"(\.\/vendor\/[^"]+)"/g)].map((m) => m[1] ?? m[2]!)
  t.ok(addresses.length >= 5, `the page names its files: ${addresses.join(' ')}`)
  t.ok(addresses.every((address) => address.startsWith('./')), 'relative addresses only, for a reverse-proxy prefix')

  for (const [name, file] of [['preact.js', 'preact/dist/preact.module.js'], ['preact-hooks.js', 'preact/hooks/dist/hooks.module.js'],
    ['htm.js', 'htm/dist/htm.module.js']] as const) {
    const res = await app.inject({ url: `/vendor/${name}` })
    t.equal(res.statusCode, 200, name)
    t.match(res.headers['content-type'], /^(text|application)\/javascript/)
    t.equal(res.body, readFileSync(new URL(`../../node_modules/${file}`, import.meta.url), 'utf8'), `${name} is ${file}`)
  }
  for (const name of ['ssh2.js', 'package.json', '..%2Fpackage.json', 'preact.js.map']) {
    const res = await app.inject({ url: `/vendor/${name}` })
    t.equal(res.statusCode, 404, `${name} is not served`)
    t.match(res.headers['content-type'], /problem\+json/)
  }
})
