import t from 'tap'
import { buildTestApp } from '../helpers/app.js'

t.test('GET /api/health', async (t) => {
  const { app } = await buildTestApp(t)
  const res = await app.inject({ url: '/api/health' })
  t.equal(res.statusCode, 200)
  t.match(res.json(), { status: 'ok', database: 'ok', version: /^\d+\.\d+\.\d+/, uptime_seconds: Number })
})

t.test('OpenAPI document: every API route, tagged, described, with its schemas', async (t) => {
  const { app } = await buildTestApp(t)
  const res = await app.inject({ url: '/docs/json' })
  t.equal(res.statusCode, 200)
  const doc = res.json()
  const expected = [
    'get /api/health', 'post /api/tasks', 'get /api/tasks', 'get /api/tasks/{id}', 'get /api/tasks/{id}/logs',
    'get /api/tasks/{id}/progress', 'get /api/tasks/{id}/executions', 'get /api/executions/{id}/outputs',
    'get /api/logs', 'get /api/workflows', 'get /api/workflows/{workflow_name}', 'post /api/workflows/{workflow_name}/validate',
  ]
  for (const key of expected) {
    const [method, path] = key.split(' ') as [string, string]
    const op = doc.paths[path]?.[method]
    t.ok(op, `${key} is documented`)
    if (!op) continue
    t.ok(op.tags?.length, `${key} is tagged`)
    t.ok(op.description, `${key} is described`)
    t.ok(op.responses['200'] ?? op.responses['201'], `${key} documents its success response`)
  }
  for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, { tags?: string[] }>>)) {
    if (!path.startsWith('/api')) continue
    for (const [method, op] of Object.entries(ops)) t.ok(op.tags?.length, `${method} ${path} is tagged`)
  }
  t.ok(doc.paths['/api/tasks'].post.requestBody.content['application/json'].schema.properties.parameters)
  t.same(doc.paths['/api/health'].get.security, [], 'health needs no token')
  t.ok(doc.components.securitySchemes.bearer)
  const ui = await app.inject({ url: '/docs' })
  t.ok(ui.statusCode === 200 || ui.statusCode === 302, 'the UI answers')
})

t.test('public/ at /', async (t) => {
  const { app } = await buildTestApp(t)
  const res = await app.inject({ url: '/' })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /text\/html/)
  t.match(res.body, /Topup/)
})
