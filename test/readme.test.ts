import { readFileSync } from 'node:fs'
import t from 'tap'
import { EnvSchema } from '../src/config.js'
import { buildTestApp } from './helpers/app.js'

// The README is the first thing a physicist reads: it must name every setting and every endpoint.
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')

t.test('the README documents every environment variable', async (t) => {
  for (const name of Object.keys(EnvSchema.properties)) t.match(readme, `\`${name}\``, name)
})

t.test('the README documents every route of the OpenAPI document', async (t) => {
  const { app } = await buildTestApp(t)
  await app.ready()
  const paths = Object.keys((app.swagger() as { paths: Record<string, unknown> }).paths)
  t.ok(paths.length > 15, `${paths.length} routes`)
  for (const path of paths) {
    // in the endpoint table as written ({id}), or in a curl example (task 1)
    t.ok(readme.includes(path) || readme.includes(path.replace(/\{[^}]+\}/g, '1')), path)
  }
})
